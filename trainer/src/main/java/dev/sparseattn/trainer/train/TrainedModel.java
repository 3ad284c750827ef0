package dev.sparseattn.trainer.train;

import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * What training returns: the network, its architecture, its tokenizer and its final figures (with the seed).
 * {@link TrainingRun} stores them in {@code model.zip} with the dataset's manifest checksum and the resolved
 * configuration as a {@link dev.sparseattn.trainer.io.Provenance}.
 *
 * @param network the trained DL4J network
 * @param config the architecture
 * @param tokenizer the tokenizer description from the dataset's manifest
 * @param summary final figures and provenance, as written to {@code summary.json}
 */
public record TrainedModel(MultiLayerNetwork network, TransformerConfig config,
                           Map<String, Object> tokenizer, Map<String, Object> summary) {}
