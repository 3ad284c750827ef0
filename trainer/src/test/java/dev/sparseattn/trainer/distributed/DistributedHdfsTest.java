package dev.sparseattn.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.checkpoint.CheckpointStore;
import dev.sparseattn.trainer.checkpoint.TrainingState;
import dev.sparseattn.trainer.train.TinyDataset;
import dev.sparseattn.trainer.train.TrainedModel;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Distributed training with its output and checkpoints on HDFS (MiniDFSCluster), interrupted and resumed. */
class DistributedHdfsTest {
  @TempDir static Path tmp;
  static MiniDFSCluster cluster;
  static JavaSparkContext sc;

  @BeforeAll
  static void setUp() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("hdfs").toFile().getAbsolutePath());
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    sc = SparkTestSupport.startSpark();
  }

  @AfterAll
  static void tearDown() {
    if (sc != null) {
      sc.stop();
    }
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  @Test
  void checkpointsOnHdfsResumeExactly() throws Exception {
    Path data = tmp.resolve("data");
    TinyDataset.write(data, SparkTestSupport.sampleLines(40), 32, 10, 16);
    FileSystem fs = cluster.getFileSystem();
    String out = fs.getUri() + "/runs/dist";
    String[] o = {"train.steps=6", "train.eval-every=6", "train.checkpoint.every=2", "train.checkpoint.keep=2",
        "distributed.workers=2", "distributed.averaging-frequency=2"};
    TrainedModel whole = DistributedTrain.run(DistributedConfig.parse(SparkTestSupport.config(data, out, o)), sc);

    CheckpointStore store = new CheckpointStore(out + "/checkpoints", 2, cluster.getConfiguration(0));
    assertEquals(List.of(4L, 6L), store.list().stream().map(CheckpointStore.Checkpoint::step).toList());
    TrainingState at6 = store.state(store.latest().orElseThrow());
    assertEquals(2, at6.workers().size());
    assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/runs/dist/model.zip")));
    assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/runs/dist/loss.png")));

    // the driver died after the step-4 checkpoint: the step-6 one never became visible
    fs.delete(new org.apache.hadoop.fs.Path("/runs/dist/checkpoints/step-000000006"), true);
    String[] resume = Stream.concat(Stream.of(o), Stream.of("train.resume=true")).toArray(String[]::new);
    TrainedModel resumed = DistributedTrain.run(DistributedConfig.parse(SparkTestSupport.config(data, out, resume)), sc);

    assertArrayEquals(SparkTestSupport.floats(whole.network().params()),
        SparkTestSupport.floats(resumed.network().params()), 0f);
    assertEquals(at6, store.state(store.latest().orElseThrow()));
  }
}
