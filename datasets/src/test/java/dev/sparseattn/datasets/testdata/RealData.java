package dev.sparseattn.datasets.testdata;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;

/**
 * The real data the tests read, each sample in two sizes (origins in {@code ../shared/data/README.md}):
 * <ul>
 *   <li>{@link #fixture()}: a small slice in the repository's {@code data/fixtures/} (how each was cut:
 *       {@code data/fixtures/README.md}), read by the default suite, so a bare clone's {@code mvn test}
 *       needs nothing beside the repository;</li>
 *   <li>{@link #shared()}: the whole file in {@code ../shared/data}, beside the repository (CI has it).
 *       Tests that read it carry {@code @Tag("shared-data")}, run with {@code mvn -Pshared-data test},
 *       and are skipped where it is absent.</li>
 * </ul>
 * Surefire sets {@code project.root.dir} and {@code shared.data.dir}; the defaults suit a module directory.
 */
public enum RealData {
  /** E. coli 536 genome, one FASTA record; fixture: the header and the first 1,429 lines (100,030 bases). */
  ECOLI("genomic/ecoli536_NC_008253.fna.gz", "ecoli536-first-100kbp.fna.gz"),
  /** Simulated phage lambda reads, FASTQ, 10,000 reads; fixture: the first 2,000. */
  LAMBDA_READS("genomic/lambda_sim_reads_1.fq.gz", "lambda-reads-first-2000.fq.gz"),
  /** Seattle daily weather 2012-2015, 1,461 days; fixture: 2012, 366 days. */
  SEATTLE("climate/seattle-weather.csv", "seattle-weather-2012.csv"),
  /** Mauna Loa monthly CO2 1958-2020, 741 months with gaps; fixture: 1958-1967, 113 months, all 5 gaps. */
  CO2("climate/co2-concentration.csv", "co2-concentration-1958-1967.csv"),
  /** The King James Bible, 31,102 verses; fixture: the last 1,000 (none in the bundled 12,000-verse sample). */
  KJV("text/kjv.txt.gz", "kjv-last-1000-verses.txt.gz");

  /** The skip messages already printed by this JVM. */
  private static final Set<String> ANNOUNCED = ConcurrentHashMap.newKeySet();
  /** The process's own stderr: surefire redirects System.err to report files, but shows this on the console. */
  private static final PrintStream CONSOLE = new PrintStream(new FileOutputStream(FileDescriptor.err), true,
      StandardCharsets.UTF_8);

  private final String shared;
  private final String fixture;

  RealData(String shared, String fixture) {
    this.shared = shared;
    this.fixture = fixture;
  }

  /** The slice in {@code data/fixtures/}: part of the repository, so its absence is an error. */
  public Path fixture() {
    Path p = Path.of(System.getProperty("project.root.dir", ".."), "data", "fixtures", fixture).toAbsolutePath()
        .normalize();
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("test fixture missing from the repository: " + p);
    }
    return p;
  }

  /**
   * The whole file in {@code ../shared/data}. Where it is absent the calling test is skipped (aborted, with
   * a message naming the missing path), and the first skip for each missing path prints that one line.
   */
  public Path shared() {
    Path dir = Path.of(System.getProperty("shared.data.dir", "../../shared/data")).toAbsolutePath().normalize();
    Path p = dir.resolve(shared);
    if (!Files.isRegularFile(p)) {
      String message = "shared-data test skipped: " + (Files.isDirectory(dir) ? p : dir) + " is absent (the full"
          + " samples sit in ../shared/data beside the repository, as in CI; the default suite uses data/fixtures/)";
      if (ANNOUNCED.add(message)) {
        CONSOLE.println(message);
      }
      Assumptions.abort(message);
    }
    return p;
  }
}
