package dev.sparseattn.trainer.model;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Runs a test with ND4J's default data types set to double (numerical gradient checks), restoring them after. */
public final class DoublePrecisionNd4j implements BeforeEachCallback, AfterEachCallback {

    private DataType savedDefault;
    private DataType savedFloat;

    @Override
    public void beforeEach(ExtensionContext context) {
        savedDefault = Nd4j.dataType();
        savedFloat = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Nd4j.setDefaultDataTypes(savedDefault, savedFloat);
    }
}
