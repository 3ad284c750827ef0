package dev.sparseattn.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WarmupCosineScheduleTest {
  @Test
  void warmsUpLinearlyThenDecaysToTheFloor() {
    WarmupCosineSchedule s = new WarmupCosineSchedule(1.0, 10, 110, 0.1);
    assertEquals(0.1, s.valueAt(0, 0), 1e-12);
    assertEquals(1.0, s.valueAt(9, 0), 1e-12);
    assertEquals(1.0, s.valueAt(10, 0), 1e-12);
    assertEquals(0.55, s.valueAt(60, 0), 1e-12);   // half way: (1 + 0.1) / 2
    assertEquals(0.1, s.valueAt(110, 0), 1e-12);
    assertEquals(0.1, s.valueAt(500, 0), 1e-12);
  }

  @Test
  void survivesTheNetworkConfigurationJsonRoundTrip() throws Exception {
    // DL4J saves the updater (with its schedule) in the network's JSON; a schedule that lost its
    // fields there would silently change the learning rate of a resumed run.
    org.nd4j.shade.jackson.databind.ObjectMapper json =
        org.deeplearning4j.nn.conf.NeuralNetConfiguration.mapper();
    String text = json.writeValueAsString(new WarmupCosineSchedule(2.0, 5, 50, 0.2));
    org.nd4j.linalg.schedule.ISchedule back = json.readValue(text, org.nd4j.linalg.schedule.ISchedule.class);
    for (int it : new int[] {0, 3, 5, 20, 50, 80}) {
      assertEquals(new WarmupCosineSchedule(2.0, 5, 50, 0.2).valueAt(it, 0), back.valueAt(it, 0), 0.0);
    }
  }
}
