package dev.sparseattn.trainer.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.SingleThreadNd4j;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Streams past the training length with attention sinks (Xiao et al. 2023, StreamingLLM): a byte-level rotary
 * sliding-window model with four leading global tokens, trained on rows of {@code L = 64} bytes of the in-repo King
 * James sample, scores held-out streams of {@code 16 L} bytes in one pass each ({@link SinkPositions#CAPPED}). The
 * bits per byte over the streams stay within 0.1 bits of the figure within the training length (the same held-out
 * bytes cut into rows of {@code L}), compared over positions whose window is full (at least {@code w} earlier bytes;
 * earlier positions have less context in both). The cache's bytes do not grow over a stream. The uncapped variant
 * ({@link SinkPositions#STREAM}, sinks at growing distances) is printed beside it.
 *
 * <p>{@code mvn -B -pl trainer -am test -Pslow -Dtest=StreamQualityTest -Dsurefire.failIfNoSpecifiedTests=false};
 * about 1.5 minutes of training on 2 cores (3.5 at a load average of 10). Figures in {@code trainer/target/surefire-reports/...StreamQualityTest-output.txt}.
 */
@Tag("slow")
@ExtendWith(SingleThreadNd4j.class)
class StreamQualityTest {

    private static final int L = 64;
    private static final int W = 16;
    private static final int STREAMS = 4;
    private static final int STEPS = Integer.getInteger("stream.trainSteps", 300);

    @Test
    void bitsPerByteOverStreamsOf16TimesTheTrainingLengthStayWithinATenthOfABit() throws IOException {
        byte[] text = kjvSample();
        int heldOut = STREAMS * 16 * L;
        int trainEnd = text.length - heldOut;
        TransformerConfig config = new TransformerConfig(256, L, 64, 4, 2, 192, 11)
                .withAttention(AttentionSpec.slidingWindow(W, true).withGlobal(0, 1, 2, 3)).withRotaryPositions();
        Nd4j.getRandom().setSeed(11);
        MultiLayerNetwork net = TransformerLM.build(config, new Adam(3e-3));
        Random r = new Random(3);
        long start = System.nanoTime();
        double loss = 0;
        for (int step = 0; step < STEPS; step++) {
            int[][] rows = new int[16][L + 1];
            for (int[] row : rows) {
                int at = r.nextInt(trainEnd - L - 1);
                for (int t = 0; t <= L; t++) {
                    row[t] = text[at + t] & 0xff;
                }
            }
            DataSet batch = TransformerLM.toDataSet(config, rows, -1);
            net.fit(batch);
            loss = TransformerLM.meanTokenLoss(net.score(), batch);
        }
        System.out.printf("trained %d steps of 16 x %d bytes in %.0f s, last batch loss %.3f bits/byte%n", STEPS, L,
                (System.nanoTime() - start) / 1e9, loss / Math.log(2));

        double[] withinL = new double[2];                 // bits, count over full-window positions
        double[] capped = new double[2];
        double[] stream = new double[2];
        double[] cappedAll = new double[2];
        try (DecodeEngine engine = new DecodeEngine(net, 1, Integer.MAX_VALUE / 2, SinkPositions.CAPPED);
             DecodeEngine growing = new DecodeEngine(net, 1, Integer.MAX_VALUE / 2, SinkPositions.STREAM)) {
            for (int s = 0; s < STREAMS; s++) {
                int from = trainEnd + s * 16 * L;
                for (int piece = 0; piece < 16; piece++) {
                    score(engine, text, from + piece * L, L, withinL, null);
                }
                long bytes = score(engine, text, from, 16 * L, capped, cappedAll);
                score(growing, text, from, 16 * L, stream, null);
                assertTrue(bytes >= 0, "the cache's bytes did not change over the stream");
            }
        }
        double bL = withinL[0] / withinL[1];
        double bStream = capped[0] / capped[1];
        System.out.printf("held-out bits/byte over positions with a full window: within L = %d: %.4f (%d bytes); "
                        + "streams of 16 L = %d, sinks capped: %.4f (%d bytes, %.4f over all positions); "
                        + "sinks at growing distances: %.4f%n", L, bL, (long) withinL[1], 16 * L, bStream,
                (long) capped[1], cappedAll[0] / cappedAll[1], stream[0] / stream[1]);
        assertTrue(bL < 4.0, "the model learned something: " + bL + " bits/byte within L");
        assertEquals(bL, bStream, 0.1, "bits/byte over 16 L streams against within L");
    }

    /**
     * Scores {@code text[from .. from + n)} in one sequence: bits of every byte after the first. Adds the bits and
     * count of positions with a full window into {@code full}, of all positions into {@code all} (may be null).
     *
     * @return the cache's bytes, the same after the first token and at the end (else -1)
     */
    private static long score(DecodeEngine engine, byte[] text, int from, int n, double[] full, double[] all) {
        int slot = engine.open(new int[] {text[from] & 0xff});
        long bytes = engine.cacheBytes();
        for (int t = 1; t < n; t++) {
            int next = text[from + t] & 0xff;
            double bits = -engine.logProbs(slot)[next] / Math.log(2);
            if (t >= W) {
                full[0] += bits;
                full[1]++;
            }
            if (all != null) {
                all[0] += bits;
                all[1]++;
            }
            engine.step(new int[] {slot}, new int[] {next});
        }
        long end = engine.cacheBytes();
        engine.release(slot);
        return end == bytes ? bytes : -1;
    }

    private static byte[] kjvSample() throws IOException {
        Path sample = Paths.get(System.getProperty("project.root.dir", ".."), "data/sample/kjv-sample.txt.gz");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(sample))) {
            return in.readAllBytes();
        }
    }
}
