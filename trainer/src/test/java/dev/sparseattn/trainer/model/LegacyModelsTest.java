package dev.sparseattn.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Model zips written before the network was unified ({@code src/test/resources/legacy}, made by the old code, see its
 * README): the layered network (per-layer DL4J layout) and the layer then named {@code model.reversible.FusedLM}
 * load into today's network and give the log-probabilities and score the old code computed; one more {@code fit}
 * gives what the old code gave, so the updater state and iteration count were converted too (double precision).
 */
@ExtendWith({SingleThreadNd4j.class, DoublePrecisionNd4j.class})
class LegacyModelsTest {

    /** As in the generator. */
    private static final int[][] ROWS_A = {{1, 2, 3, 4, 5, 6, 7, 8, 9}, {9, 8, 7, 6, 5, 4, 0, 0, 0}};
    private static final int[][] CONTEXTS = {{1, 2, 3}, {5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, {15}};

    @ParameterizedTest
    @ValueSource(strings = {"legacy-layered", "legacy-fused"})
    void oldZipsLoadAndComputeWhatTheOldCodeComputed(String name, @TempDir Path dir) throws Exception {
        File zip = copy(name + ".zip", dir);
        JsonNode expected = new ObjectMapper().readTree(resource(name + "-expected.json"));
        TransformerLM.Loaded loaded = TransformerLM.load(zip);
        TransformerConfig base = new TransformerConfig(16, 8, 8, 2, 2, 16, 3)
                .withAttention(AttentionSpec.denseCausal(), AttentionSpec.slidingWindow(3, true));
        assertEquals(name.equals("legacy-layered") ? base
                : base.withResidual(TransformerConfig.Residual.REVERSIBLE).withDropout(0.1), loaded.config());
        MultiLayerNetwork net = loaded.network();
        assertEquals(DataType.DOUBLE, net.params().dataType());
        assertEquals(2, net.getIterationCount());

        double worst = compare(net, expected.get("before"));
        DataSet a = TransformerLM.toDataSet(loaded.config(), ROWS_A, 0, DataType.DOUBLE);
        assertEquals(expected.get("scoreA").asDouble(), net.score(a), 1e-12);
        net.fit(a);
        double afterFit = compare(net, expected.get("afterFitA"));
        System.out.println(name + ": largest log-probability difference to the old code " + worst
                + ", after one more fit " + afterFit);
        assertTrue(worst <= 1e-12, "log-probabilities " + worst);
        assertTrue(afterFit <= 1e-9, "log-probabilities after one more fit step " + afterFit);

        // without the updater state (inference) the parameters are the same
        MultiLayerNetwork inference = TransformerLM.load(zip, false).network();
        assertEquals(0.0, inference.params().sub(TransformerLM.load(zip).network().params())
                .amaxNumber().doubleValue());
    }

    @Test
    void zipsThatCannotBeModelsFailNamingTheFile(@TempDir Path dir) throws Exception {
        File notZip = dir.resolve("model.zip").toFile();
        Files.writeString(notZip.toPath(), "not a zip");
        IOException e = assertThrows(IOException.class, () -> TransformerLM.load(notZip));
        assertTrue(e.getMessage().contains(notZip.toString()), e.getMessage());

        // a layered zip whose parameters do not fit its stored architecture (width 10 instead of 8): refused
        File legacy = copy("legacy-layered.zip", dir);
        File mismatched = dir.resolve("mismatched.zip").toFile();
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(legacy.toPath()));
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(mismatched.toPath()))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                byte[] bytes = in.readAllBytes();
                if (entry.getName().equals("objects/" + TransformerLM.CONFIG_KEY)) {
                    bytes = javaSerialized(TransformerConfig.fromJson(new String(deserialize(bytes)))
                            .withAttention().toJson().replace("\"dModel\":8", "\"dModel\":10"));
                }
                out.putNextEntry(new ZipEntry(entry.getName()));
                out.write(bytes);
            }
        }
        IOException bad = assertThrows(IOException.class, () -> TransformerLM.load(mismatched));
        assertTrue(bad.getMessage().contains(mismatched.toString()) && bad.getMessage().contains("cannot convert"),
                bad.getMessage());
    }

    /** Largest absolute difference of the next-token log-probabilities of {@link #CONTEXTS} to the stored ones. */
    private static double compare(MultiLayerNetwork net, JsonNode expected) {
        double worst = 0;
        for (int i = 0; i < CONTEXTS.length; i++) {
            double[] lp = TransformerLM.nextTokenLogProbs(net, CONTEXTS[i]);
            assertEquals(expected.get(i).size(), lp.length);
            for (int v = 0; v < lp.length; v++) {
                worst = Math.max(worst, Math.abs(lp[v] - expected.get(i).get(v).asDouble()));
            }
        }
        return worst;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = LegacyModelsTest.class.getResourceAsStream("/legacy/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource /legacy/" + name);
            }
            return in.readAllBytes();
        }
    }

    private static File copy(String name, Path dir) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, resource(name));
        return file.toFile();
    }

    private static byte[] javaSerialized(String s) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        return bytes.toByteArray();
    }

    private static byte[] deserialize(byte[] bytes) throws IOException {
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes))) {
            return ((String) in.readObject()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } catch (ClassNotFoundException e) {
            throw new IOException(e);
        }
    }
}
