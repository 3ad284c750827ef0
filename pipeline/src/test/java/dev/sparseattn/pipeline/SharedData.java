package dev.sparseattn.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real sample data in {@code ../shared/data}, read in place (surefire sets {@code shared.data.dir}). */
public final class SharedData {
  private SharedData() {}

  public static Path file(String relative) {
    String dir = System.getProperty("shared.data.dir", "../../shared/data");
    Path p = Path.of(dir, relative).toAbsolutePath().normalize();
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("shared sample data not found: " + p);
    }
    return p;
  }

  public static final String ECOLI = "genomic/ecoli536_NC_008253.fna.gz";
  public static final String LAMBDA_READS = "genomic/lambda_sim_reads_1.fq.gz";
  public static final String SEATTLE = "climate/seattle-weather.csv";
  public static final String CO2 = "climate/co2-concentration.csv";
}
