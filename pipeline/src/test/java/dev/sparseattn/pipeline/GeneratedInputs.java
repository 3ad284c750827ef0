package dev.sparseattn.pipeline;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Supplier;

/** Generated inputs of a given size for the prepare benchmarks (never committed: written into a temp dir). */
final class GeneratedInputs {
  private GeneratedInputs() {}

  /** FASTQ reads of 150 random bases with constant qualities, until {@code bytes} are written. */
  static Path fastq(Path p, long bytes, Random r) throws IOException {
    return write(p, bytes, () -> "@read" + r.nextInt() + "\n" + bases(r, 150) + "\n+\n" + "I".repeat(150) + "\n");
  }

  /** FASTA lines of 80 random bases, a new record every {@code recordBytes} bytes. */
  static Path fasta(Path p, long bytes, long recordBytes, Random r) throws IOException {
    long[] written = {0};
    return write(p, bytes, () -> {
      boolean header = written[0] % recordBytes < 81;
      written[0] += 81;
      return (header ? ">chr" + written[0] + "\n" : "") + bases(r, 80) + "\n";
    });
  }

  /** Paragraphs of 40-439 letters in words of six, separated by blank lines. */
  static Path paragraphs(Path p, long bytes, Random r) throws IOException {
    return write(p, bytes, () -> words(r, 40 + r.nextInt(400)) + "\n\n");
  }

  private static Path write(Path p, long bytes, Supplier<String> next) throws IOException {
    long n = 0;
    try (BufferedWriter w = Files.newBufferedWriter(p, StandardCharsets.US_ASCII)) {
      while (n < bytes) {
        String s = next.get();
        w.write(s);
        n += s.length();
      }
    }
    return p;
  }

  private static String bases(Random r, int n) {
    char[] c = new char[n];
    for (int i = 0; i < n; i++) {
      c[i] = "ACGT".charAt(r.nextInt(4));
    }
    return new String(c);
  }

  private static String words(Random r, int n) {
    char[] c = new char[n];
    for (int i = 0; i < n; i++) {
      c[i] = i % 7 == 6 ? ' ' : (char) ('a' + r.nextInt(26));
    }
    return new String(c);
  }
}
