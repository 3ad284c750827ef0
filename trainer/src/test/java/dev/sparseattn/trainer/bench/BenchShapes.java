package dev.sparseattn.trainer.bench;

import com.typesafe.config.ConfigFactory;
import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.train.GradientClipping;
import dev.sparseattn.trainer.train.TrainConfig;
import java.io.File;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The recipes' model shapes for the training benchmarks, read from the recipe files themselves ({@code conf/*.conf},
 * model, batch size, clipping), with the vocabulary of the recipe's tokenizer and random token ids; the genomics
 * shape is the long-context model pinned in {@link GenomicsLongContext} (the E. coli recipe now trains a smaller one).
 */
record BenchShapes(String name, TransformerConfig arch, int batch, double clip) {

    /**
     * {@code quickstart}, {@code text}, {@code genomics}, or {@code genomics-window}: the genomics shape with the
     * sliding window in every layer, as the PyTorch peer computes it.
     */
    static BenchShapes of(String name) {
        return switch (name) {
            case "quickstart" -> fromConf(name, "quickstart.conf", 258, 256);
            case "text" -> fromConf(name, "text-kjv.conf", 258, 512);
            case "genomics" -> of(name, GenomicsLongContext.train(), 8, GenomicsLongContext.SEQ_LEN);
            case "genomics-window" -> of(name, GenomicsLongContext.slidingWindowOnly(), 8, GenomicsLongContext.SEQ_LEN);
            default -> throw new IllegalArgumentException(
                    "bench shape " + name + ": quickstart | text | genomics | genomics-window");
        };
    }

    private static BenchShapes fromConf(String name, String file, int vocab, int seqLen) {
        File conf = new File("../conf/" + file);
        return of(name, TrainConfig.parse(ConfigFactory.parseFile(conf).resolve()), vocab, seqLen);
    }

    private static BenchShapes of(String name, TrainConfig train, int vocab, int seqLen) {
        TransformerConfig arch = train.model().architecture(vocab, seqLen, train.seed());
        return new BenchShapes(name, arch, train.batchSize(), train.optim().gradientClip());
    }

    /** A fresh float32 network with Adam and the recipe's clipping. */
    MultiLayerNetwork network() {
        MultiLayerNetwork net = TransformerLM.build(arch, Adam.builder().learningRate(1e-3).build(), DataType.FLOAT);
        GradientClipping.apply(net, clip);
        return net;
    }

    /** Random rows of {@code seqLen + 1} ids. */
    int[][] rows(Random random) {
        int[][] rows = new int[batch][arch.seqLen() + 1];
        for (int[] row : rows) {
            for (int t = 0; t < row.length; t++) {
                row[t] = random.nextInt(arch.vocabSize());
            }
        }
        return rows;
    }

    DataSet batch(Random random) {
        return TransformerLM.toDataSet(arch, rows(random), null, 0, DataType.FLOAT);
    }

    long tokensPerStep() {
        return (long) batch * arch.seqLen();
    }
}
