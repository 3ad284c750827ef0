package dev.sparseattn.trainer.model;

import org.bytedeco.javacpp.Pointer;

/**
 * Peak resident memory of this process above the moment of {@link #start()}, sampled every millisecond on a daemon
 * thread: ND4J's off-heap buffers (its native allocations are not all counted by {@code Pointer.totalBytes()}) plus
 * the touched heap. For benchmarks that run each measurement in a fresh JVM.
 */
public final class PeakMemory implements AutoCloseable {

    private final long base;
    private final Thread thread;
    private volatile boolean stop;
    private volatile long peak;

    private PeakMemory() {
        this.base = Pointer.physicalBytes();
        this.peak = base;
        this.thread = new Thread(this::sample);
        thread.setDaemon(true);
    }

    /** Starts sampling; the baseline is the resident memory now. */
    public static PeakMemory start() {
        PeakMemory m = new PeakMemory();
        m.thread.start();
        return m;
    }

    private void sample() {
        while (!stop) {
            peak = Math.max(peak, Pointer.physicalBytes());
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops sampling and returns the peak bytes above the baseline. */
    public long stopAndGet() throws InterruptedException {
        stop = true;
        thread.join();
        return peak - base;
    }

    @Override
    public void close() {
        stop = true;
    }
}
