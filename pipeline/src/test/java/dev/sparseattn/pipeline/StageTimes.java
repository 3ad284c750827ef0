package dev.sparseattn.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;

/**
 * Where a benchmarked Spark job's time goes: per completed stage, its name, task count, wall time
 * (submission to completion), the sum and maximum of its tasks' run times and their executor CPU
 * time, garbage collection time and shuffle, output and spill bytes. Registered on the driver with {@code addSparkListener}; {@link #report} lists the stages in
 * completion order (a benchmark aid, so the figures come from Spark's own task metrics).
 */
final class StageTimes extends SparkListener {
  private final List<String> lines = new ArrayList<>();
  private final java.util.Map<Integer, long[]> tasks = new java.util.HashMap<>(); // stage -> {sum ms, max ms, cpu ns, gc ms, shuffle write, shuffle read, output, spilled bytes}

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
    long ms = end.taskInfo().duration();
    long cpu = end.taskMetrics() == null ? 0 : end.taskMetrics().executorCpuTime();
    long[] t = tasks.computeIfAbsent(end.stageId(), k -> new long[8]);
    t[0] += ms;
    t[1] = Math.max(t[1], ms);
    t[2] += cpu;
    var m = end.taskMetrics();
    if (m != null) {
      t[3] += m.jvmGCTime();
      t[4] += m.shuffleWriteMetrics().bytesWritten();
      t[5] += m.shuffleReadMetrics().totalBytesRead();
      t[6] += m.outputMetrics().bytesWritten();
      t[7] += m.diskBytesSpilled();
    }
  }

  @Override
  public synchronized void onStageCompleted(SparkListenerStageCompleted done) {
    StageInfo s = done.stageInfo();
    long wall = (long) s.completionTime().getOrElse(() -> 0L) - (long) s.submissionTime().getOrElse(() -> 0L);
    long[] t = tasks.getOrDefault(s.stageId(), new long[8]);
    String name = s.name().replaceAll(" at [A-Za-z]+\\.java:\\d+", "");
    lines.add(String.format(Locale.ROOT, "stage %3d %-40s %4d tasks, wall %6.1f s, tasks sum %6.1f s (max %5.1f s, cpu %6.1f s, gc %5.1f s);"
        + " shuffle write %5.0f MB, read %5.0f MB, output %5.0f MB, spilled %4.0f MB",
        s.stageId(), name + " (" + s.name().replaceAll(".* at ", "") + ")", s.numTasks(), wall / 1e3, t[0] / 1e3,
        t[1] / 1e3, t[2] / 1e9, t[3] / 1e3, t[4] / 1e6, t[5] / 1e6, t[6] / 1e6, t[7] / 1e6));
  }

  synchronized List<String> report() {
    return List.copyOf(lines);
  }
}
