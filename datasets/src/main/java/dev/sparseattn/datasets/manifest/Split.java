package dev.sparseattn.datasets.manifest;

/** The splits of a prepared dataset; {@link #id()} is the name used in the manifest and as directory. */
public enum Split {
  TRAIN("train"),
  VALIDATION("validation"),
  /** Held out after validation (time series: the last period, {@code prepare.test-period}); optional in manifests. */
  TEST("test");

  private final String id;

  Split(String id) {
    this.id = id;
  }

  /** {@code train}, {@code validation} or {@code test}. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }
}
