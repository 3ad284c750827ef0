package dev.sparseattn.trainer.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a benchmark's PyTorch peer script ({@code /usr/bin/python3} by default, {@code -Dbench.python} otherwise) the
 * same way for every benchmark: glibc's malloc thresholds raised above any buffer, the child's output echoed.
 *
 * <p>Without the thresholds glibc returns PyTorch's large freed buffers to the kernel and maps them again at the
 * next step: on the 2-core machine the text shape's training step took 4.7 s instead of 1.2 s, most of it system
 * time, and the blocked attention at 4,096 tokens 0.95 s instead of 0.50 s. A tuned PyTorch install (or jemalloc)
 * keeps them in the process, so the fair peer runs with them.
 */
public final class TorchPeer {

    private TorchPeer() {
    }

    /**
     * Runs {@code python3 script args...} to its end with the allocator thresholds, and with libgomp's default wait
     * policy ({@code passive = false}: {@code OMP_WAIT_POLICY} removed from the child's environment) or with
     * {@code OMP_WAIT_POLICY=PASSIVE} (idle threads sleep instead of spinning; on 2 shared cores spinning threads
     * steal the CPU from working ones), echoing each line labelled with the policy. Benchmarks run the peer both ways
     * and compare with its better run.
     *
     * @return the child's lines; empty (after one explanatory line) when it failed or could not start: a missing
     *         PyTorch skips the peer, not the benchmark
     */
    public static List<String> run(File script, List<String> args, boolean passive) throws InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("bench.python", "/usr/bin/python3"));
        command.add(script.getPath());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("MALLOC_MMAP_THRESHOLD_", "17179869184");
        pb.environment().put("MALLOC_TRIM_THRESHOLD_", "17179869184");
        if (passive) {
            pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        } else {
            pb.environment().remove("OMP_WAIT_POLICY");
        }
        String label = passive ? "  torch (PASSIVE): " : "  torch (libgomp default): ";
        List<String> lines = new ArrayList<>();
        try {
            Process p = pb.start();
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    System.out.println(label + line);
                    lines.add(line);
                }
            }
            if (p.waitFor() != 0) {
                System.out.println(label + "PyTorch peer failed (exit " + p.exitValue() + "); needs Debian's "
                        + "python3-torch and libopenblas0-pthread, or -Dbench.python");
                return List.of();
            }
        } catch (IOException e) {
            System.out.println(label + "PyTorch peer not run: " + e.getMessage());
            return List.of();
        }
        return lines;
    }
}
