package dev.sparseattn.datasets.manifest;

/** The splits of a prepared dataset; {@link #id()} is the name used in the manifest and as directory. */
public enum Split {
  TRAIN("train"),
  VALIDATION("validation");

  private final String id;

  Split(String id) {
    this.id = id;
  }

  /** {@code train} or {@code validation}. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }
}
