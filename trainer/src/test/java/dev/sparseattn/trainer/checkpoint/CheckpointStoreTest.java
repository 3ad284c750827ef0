package dev.sparseattn.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.trainer.model.network.TransformerConfig;
import dev.sparseattn.trainer.model.TransformerLM;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Adam;

/** Atomic, pruned checkpoints on the local file system and on HDFS. */
class CheckpointStoreTest {
  @TempDir Path tmp;

  private static final TransformerConfig ARCH = new TransformerConfig(11, 8, 8, 2, 1, 16, 3);

  private void roundTrip(String uri, Configuration conf) throws IOException {
    MultiLayerNetwork net = TransformerLM.build(ARCH, new Adam(1e-3));
    CheckpointStore store = new CheckpointStore(uri, 2, conf);
    for (long step = 10; step <= 40; step += 10) {
      net.params().addi(1.0);   // a distinct network per checkpoint
      store.save(net, ARCH, new TrainingState(step, 1, 2, 3, step * 100, 2.5, 3));
    }
    // an interrupted write and a directory without its state are not checkpoints
    FileSystem fs = store.root().getFileSystem(conf);
    fs.mkdirs(new org.apache.hadoop.fs.Path(store.root(), ".tmp-crashed"));
    fs.mkdirs(new org.apache.hadoop.fs.Path(store.root(), "step-000000099"));

    List<CheckpointStore.Checkpoint> kept = store.list();
    assertEquals(List.of(30L, 40L), kept.stream().map(CheckpointStore.Checkpoint::step).toList());
    CheckpointStore.Checkpoint latest = store.latest().orElseThrow();
    assertEquals(40, latest.step());
    assertEquals(new TrainingState(40, 1, 2, 3, 4000, 2.5, 3), store.state(latest));
    TransformerLM.Loaded loaded = store.model(latest);
    assertEquals(ARCH, loaded.config());
    assertArrayEquals(net.params().data().asFloat(), loaded.network().params().data().asFloat(), 0f);
  }

  @Test
  void localFileSystem() throws IOException {
    roundTrip(tmp.resolve("ckpt").toUri().toString(), new Configuration());
  }

  @Test
  void hdfs() throws IOException {
    Configuration conf = new Configuration();
    File base = tmp.resolve("hdfs").toFile();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.getAbsolutePath());
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    try {
      cluster.waitActive();
      String uri = cluster.getFileSystem().getUri() + "/runs/ckpt";
      roundTrip(uri, cluster.getConfiguration(0));
      assertTrue(cluster.getFileSystem().exists(new org.apache.hadoop.fs.Path("/runs/ckpt/step-000000040/model.zip")));
    } finally {
      cluster.shutdown();
    }
  }
}
