package dev.sparseattn.trainer.model.network;

import static dev.sparseattn.trainer.model.network.LmParams.AXIAL;
import static dev.sparseattn.trainer.model.network.LmParams.POSITION;
import static dev.sparseattn.trainer.model.network.LmParams.TOKEN;

import dev.sparseattn.trainer.model.ops.Rows;
import dev.sparseattn.trainer.model.ops.StepTimer;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Input embedding {@code x[b, t] = tokEmb[ids[b, t]] + pos[t]} ({@code tokEmb[ids[b, t]]} alone with rotary
 * positions, which the attention applies), with learned absolute positions (GPT-2) or axial
 * positions (Kitaev et al. 2020, "Reformer", section 5; trax's {@code AxialPositionalEncoding}): for
 * {@code axialShape = (s_1, ..., s_k)} with {@code s_1 * ... * s_k = seqLen}, position {@code t} has the row-major
 * multi-index {@code (i_1, ..., i_k)} and the embedding {@code concat_j E_j[i_j]}, with tables
 * {@code E_j [s_j, d_j]}. The widths are concatenated (trax's concatenating variant, not the summed one) and split as
 * evenly as possible, {@code d_j = d / k} (the first {@code d mod k} one wider), so
 * {@code sum_j d_j = dModel}: {@code sum_j s_j d_j} parameters instead of {@code seqLen * d}.
 */
final class Embeddings {

    private final TransformerConfig config;

    Embeddings(TransformerConfig config) {
        this.config = config;
    }

    /**
     * @param ids    token ids, int32            // [N], N = batch * len, row-major over (batch, position)
     * @param params parameter table
     * @param out    embeddings, overwritten     // [N, d]
     */
    @SuppressWarnings("try")
    void forward(INDArray ids, long batch, long len, Map<String, INDArray> params, INDArray out) {
        try (StepTimer.Span ignored = StepTimer.open(StepTimer.Section.EMBEDDING)) {
            forwardUntimed(ids, batch, len, params, out);
        }
    }

    private void forwardUntimed(INDArray ids, long batch, long len, Map<String, INDArray> params, INDArray out) {
        long d = config.dModel();
        Nd4j.exec(DynamicCustomOp.builder("gather")
                .addInputs(params.get(TOKEN), ids)
                .addOutputs(out)
                .addIntegerArguments(0)
                .build());
        if (config.positions() == TransformerConfig.Positions.ROTARY) {
            return;                                            // positions enter the attention (AttentionBranch)
        }
        INDArray out3 = out.reshape('c', batch, len, d);
        Broadcast.add(out3, positions(len, params), out3, 1, 2);
    }

    /**
     * Adds the token-table gradient to {@code grads[tokEmb]} (the caller zeroes it first, or has written the tied
     * output projection's share into it) and overwrites the position gradients.
     *
     * @param dy gradient of the output // [N, d]
     */
    @SuppressWarnings("try")
    void backward(INDArray dy, INDArray ids, long batch, long len, Map<String, INDArray> grads) {
        try (StepTimer.Span ignored = StepTimer.open(StepTimer.Section.EMBEDDING)) {
            backwardUntimed(dy, ids, batch, len, grads);
        }
    }

    private void backwardUntimed(INDArray dy, INDArray ids, long batch, long len, Map<String, INDArray> grads) {
        long d = config.dModel();
        INDArray dTok = grads.get(TOKEN);
        Nd4j.exec(DynamicCustomOp.builder("scatter_add")
                .addInputs(dTok, ids, dy)
                .addOutputs(dTok)
                .addBooleanArguments(true)   // lock: rows of repeated tokens accumulate without races
                .build());
        if (config.positions() == TransformerConfig.Positions.ROTARY) {
            return;
        }
        INDArray dPos = Nd4j.zeros(dy.dataType(), config.seqLen(), d);                       // [seqLen, d]
        Rows.sum(dy.reshape('c', batch, len * d), dPos.get(NDArrayIndex.interval(0, len), NDArrayIndex.all())
                .reshape(len * d));                                                          // sum over the batch
        if (config.positions() == TransformerConfig.Positions.LEARNED) {
            grads.get(POSITION).assign(dPos);
            return;
        }
        int k = config.axialShape().size();
        long[] shape = axialShape();
        int[] widths = LmParams.axialWidths(config);
        long col = 0;
        for (int j = 0; j < k; j++) {
            shape[k] = widths[j];
            INDArray part = dPos.get(NDArrayIndex.all(), NDArrayIndex.interval(col, col + widths[j])).dup('c')
                    .reshape('c', shape);                                                    // [s_1, ..., s_k, d_j]
            int[] others = new int[k - 1];
            for (int a = 0, o = 0; a < k; a++) {
                if (a != j) {
                    others[o++] = a;
                }
            }
            grads.get(AXIAL + j).assign(part.sum(others));                                   // [s_j, d_j]
            col += widths[j];
        }
    }

    /** Position embeddings of the first {@code len} positions // [len, d]; null for rotary positions (no table). */
    INDArray positions(long len, Map<String, INDArray> params) {
        if (config.positions() == TransformerConfig.Positions.ROTARY) {
            return null;
        }
        if (config.positions() == TransformerConfig.Positions.LEARNED) {
            return params.get(POSITION).get(NDArrayIndex.interval(0, len), NDArrayIndex.all());
        }
        int k = config.axialShape().size();
        INDArray full = Nd4j.createUninitialized(params.get(TOKEN).dataType(),
                new long[] {config.seqLen(), config.dModel()}, 'c');                          // [seqLen, d]
        int[] widths = LmParams.axialWidths(config);
        long col = 0;
        for (int j = 0; j < k; j++) {
            long[] shape = axialShape();
            shape[k] = widths[j];
            long[] single = new long[k + 1];
            java.util.Arrays.fill(single, 1);
            single[j] = config.axialShape().get(j);
            single[k] = widths[j];
            INDArray table = params.get(AXIAL + j).reshape('c', single);                     // [1, .., s_j, .., 1, d_j]
            INDArray spread = table.broadcast(shape).reshape('c', config.seqLen(), widths[j]); // [seqLen, d_j]
            full.get(NDArrayIndex.all(), NDArrayIndex.interval(col, col + widths[j])).assign(spread);
            col += widths[j];
        }
        return full.get(NDArrayIndex.interval(0, len), NDArrayIndex.all());
    }

    /** {@code [s_1, ..., s_k, 0]}: the axial factors plus a slot for a width. */
    private long[] axialShape() {
        int k = config.axialShape().size();
        long[] shape = new long[k + 1];
        for (int j = 0; j < k; j++) {
            shape[j] = config.axialShape().get(j);
        }
        return shape;
    }
}
