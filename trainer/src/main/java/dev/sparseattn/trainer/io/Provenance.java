package dev.sparseattn.trainer.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a saved model came from, stored in its {@code model.zip} ({@link ModelArchive#writeProvenance}) so that the
 * file alone says what produced it.
 *
 * @param manifestSha256 SHA-256 (hex) of the training dataset's {@code manifest.json}, which itself lists every shard's
 *                       checksum: the data the model saw
 * @param dataset        the dataset directory as given to the job
 * @param config         the resolved training configuration (defaults included), as in {@code summary.json}
 * @param seed           the training seed
 * @param metrics        final figures: {@code steps}, {@code tokens_seen}, {@code train_bits_per_token},
 *                       {@code validation_bits_per_token}
 */
public record Provenance(String manifestSha256, String dataset, Map<String, Object> config, long seed,
                         Map<String, Object> metrics) {

  public Provenance {
    if (manifestSha256 == null || !manifestSha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("manifestSha256 must be 64 hex digits, got " + manifestSha256);
    }
    config = Collections.unmodifiableMap(new LinkedHashMap<>(config));
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }
}
