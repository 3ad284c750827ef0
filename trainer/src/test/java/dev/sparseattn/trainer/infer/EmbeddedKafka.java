package dev.sparseattn.trainer.infer;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Time;

/** A one-node Kafka broker in KRaft mode (broker and controller in this JVM) on 127.0.0.1, for the slow tests. */
final class EmbeddedKafka implements AutoCloseable {
  private final KafkaRaftServer server;
  private final String servers;

  /** Starts a broker whose logs live in {@code dir}. */
  EmbeddedKafka(Path dir) throws Exception {
    int broker = freePort();
    int controller = freePort();
    Path logs = Files.createDirectories(dir);
    Files.writeString(logs.resolve("meta.properties"), "version=1\ncluster.id=" + Uuid.randomUuid() + "\nnode.id=1\n");
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.voters", "1@127.0.0.1:" + controller);
    props.put("listeners", "PLAINTEXT://127.0.0.1:" + broker + ",CONTROLLER://127.0.0.1:" + controller);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + broker);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("log.dirs", logs.toString());
    props.put("offsets.topic.replication.factor", "1");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    server = new KafkaRaftServer(KafkaConfig.fromProps(props), Time.SYSTEM, scala.Option.empty());
    server.startup();
    servers = "127.0.0.1:" + broker;
  }

  /** {@code host:port} of the broker. */
  String servers() {
    return servers;
  }

  void createTopic(String name, int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers))) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
    }
  }

  KafkaProducer<String, String> producer() {
    return new KafkaProducer<>(Map.of("bootstrap.servers", servers, "linger.ms", 0), new StringSerializer(),
        new StringSerializer());
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
  }
}
