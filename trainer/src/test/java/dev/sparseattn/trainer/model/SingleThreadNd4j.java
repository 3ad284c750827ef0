package dev.sparseattn.trainer.model;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs a test with ND4J limited to one thread. The tests' tiny networks consist of thousands of microsecond-sized
 * ops, for which thread hand-off costs more than it saves (about 2x on a busy 2-core machine).
 */
public final class SingleThreadNd4j implements BeforeEachCallback, AfterEachCallback {

    private int maxThreads;
    private int maxMasterThreads;

    @Override
    public void beforeEach(ExtensionContext context) {
        Environment env = Nd4j.getEnvironment();
        maxThreads = env.maxThreads();
        maxMasterThreads = env.maxMasterThreads();
        env.setMaxThreads(1);
        env.setMaxMasterThreads(1);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Nd4j.getEnvironment().setMaxThreads(maxThreads);
        Nd4j.getEnvironment().setMaxMasterThreads(maxMasterThreads);
    }
}
