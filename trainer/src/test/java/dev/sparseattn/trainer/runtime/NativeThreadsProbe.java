package dev.sparseattn.trainer.runtime;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Child-process entry of {@link NativeThreadsTest}: {@code before} calls {@link NativeThreads#passiveWait()} before
 * ND4J loads, {@code after} loads ND4J first; prints the outcome on stdout (libgomp prints its settings on stderr when
 * {@code OMP_DISPLAY_ENV} is set).
 */
public final class NativeThreadsProbe {
  private NativeThreadsProbe() {}

  public static void main(String[] args) {
    NativeThreads.Outcome outcome = null;
    if (args[0].equals("before")) {
      outcome = NativeThreads.passiveWait();
    }
    double sum = Nd4j.ones(64, 64).mmul(Nd4j.ones(64, 64)).sumNumber().doubleValue();
    if (args[0].equals("after")) {
      outcome = NativeThreads.passiveWait();
    }
    System.out.println("outcome " + outcome + " sum " + sum);
  }
}
