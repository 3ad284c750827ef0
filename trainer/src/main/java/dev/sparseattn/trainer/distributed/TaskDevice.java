package dev.sparseattn.trainer.distributed;

import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One worker per GPU: when Spark schedules GPUs ({@code spark.task.resource.gpu.amount=1}), a task is
 * given the address of its GPU, and the task's thread is pointed at that ND4J device before it touches
 * the replica, so the executors of a multi-GPU node do not all train on device 0. Without GPU resources
 * (the CPU backend, local mode) this does nothing.
 */
final class TaskDevice {
  private TaskDevice() {}

  /** Binds the calling task thread to the GPU Spark assigned to the task, if any; returns its address or null. */
  static String bind() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return null;
    }
    Map<String, ResourceInformation> resources = task.resourcesJMap();
    ResourceInformation gpu = resources.get("gpu");
    if (gpu == null || gpu.addresses().length == 0) {
      return null;
    }
    String address = gpu.addresses()[0];
    int devices = Nd4j.getAffinityManager().getNumberOfDevices();
    int device = Integer.parseInt(address.trim());
    if (device >= devices) {
      throw new IllegalStateException("Spark assigned GPU " + address + " to this task but ND4J sees " + devices
          + " device(s): check the discovery script and CUDA_VISIBLE_DEVICES");
    }
    Nd4j.getAffinityManager().unsafeSetDevice(device);
    return address;
  }
}
