package dev.sparseattn.trainer.model.ops;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-row reductions and broadcasts of a {@code [N, k]} matrix, written as BLAS products with a ones vector or as
 * libnd4j's broadcasting custom ops: in ND4J 1.0.0-M2.1 the dimension-1 reductions ({@code mean(true, 1)},
 * {@code norm2(true, 1)}) and the {@code ...ColumnVector} / {@code ...RowVector} broadcasts of a c-ordered matrix
 * (row broadcasts) are several times slower than a gemm with a ones vector or libnd4j's broadcasting custom ops
 * (README "Training step profile"). The ones vectors are cached outside workspaces.
 */
public final class RowOps {

    private static final Map<String, INDArray> ONES = new ConcurrentHashMap<>();

    private RowOps() {
    }

    /** A cached ones matrix {@code [rows, cols]} (one of them 1), outside every workspace; read only. */
    @SuppressWarnings("try")
    static INDArray ones(DataType type, long rows, long cols) {
        return ONES.computeIfAbsent(type + ":" + rows + "x" + cols, key -> {
            try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
                return Nd4j.ones(type, rows, cols);
            }
        });
    }

    /**
     * {@code out[n] = alpha * sum_j x[n, j] v[j]}.
     *
     * @param x   // [N, k]
     * @param v   // [k] (contiguous), or null for ones
     * @param out // [N, 1], overwritten
     */
    public static INDArray dot(INDArray x, INDArray v, double alpha, INDArray out) {
        long k = x.size(1);
        INDArray col = v == null ? ones(x.dataType(), k, 1) : v.reshape(k, 1);
        Nd4j.gemm(x, col, out, false, false, alpha, 0.0);
        return out;
    }

    /** {@code x[n, j] -= c[n]} in place, as the rank-1 product {@code x - c ones^T}; c // [N, 1]. */
    public static INDArray subtractColumn(INDArray x, INDArray c) {
        Nd4j.gemm(c, ones(x.dataType(), 1, x.size(1)), x, false, false, -1.0, 1.0);
        return x;
    }

    /** {@code out[n, j] = x[n, j] * c[n]}; c // [N, 1]; out may be x. */
    public static INDArray scaleRows(INDArray x, INDArray c, INDArray out) {
        // the legacy column broadcast: libnd4j's broadcasting "multiply" was slower here for an [N, 1] operand
        return (out == x ? out : out.assign(x)).muliColumnVector(c);
    }

    /** {@code out[n, j] = x[n, j] * r[j]}; r // [k]; out may be x. */
    public static INDArray scaleColumns(INDArray x, INDArray r, INDArray out) {
        return broadcast("multiply", x, r, out);
    }

    /** {@code out[n, j] = x[n, j] + r[j]}; r // [k]; out may be x. */
    public static INDArray addColumns(INDArray x, INDArray r, INDArray out) {
        return broadcast("add", x, r, out);
    }

    private static INDArray broadcast(String op, INDArray x, INDArray y, INDArray out) {
        Nd4j.exec(DynamicCustomOp.builder(op).addInputs(x, y).addOutputs(out).build());
        return out;
    }
}
