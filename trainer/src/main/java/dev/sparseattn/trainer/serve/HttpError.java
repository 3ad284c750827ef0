package dev.sparseattn.trainer.serve;

/** A request that cannot be served: the HTTP status and the message sent back as {@code {"error": message}}. */
public final class HttpError extends RuntimeException {
  private final int status;

  public HttpError(int status, String message) {
    super(message);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
