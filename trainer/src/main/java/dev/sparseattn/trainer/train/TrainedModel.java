package dev.sparseattn.trainer.train;

import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * What training returns: the network, its architecture, and its provenance: the resolved training
 * configuration, the dataset it saw (manifest checksum), the seed, and the final figures.
 *
 * @param network the trained DL4J network
 * @param config the architecture
 * @param tokenizer the tokenizer description from the dataset's manifest
 * @param summary final figures and provenance, as written to {@code summary.json}
 */
public record TrainedModel(MultiLayerNetwork network, TransformerConfig config,
                           Map<String, Object> tokenizer, Map<String, Object> summary) {}
