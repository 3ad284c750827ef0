package dev.sparseattn.trainer.model.layers;

import static dev.sparseattn.trainer.model.layers.TokenPositionEmbeddingParams.POSITION;
import static dev.sparseattn.trainer.model.layers.TokenPositionEmbeddingParams.TOKEN;

import java.util.Arrays;
import dev.sparseattn.trainer.model.ops.Rows;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Runtime of {@link TokenPositionEmbedding}: {@code out[b, t] = tokEmb[ids[b, t]] + posEmb[t]}.
 * Backward scatters the output gradient into the token rows (duplicates accumulate) and sums it over the batch
 * for the position rows; there is no gradient for the (discrete) input. A features (padding) mask is checked against
 * the ids and passed on unchanged to the blocks.
 */
public class TokenPositionEmbeddingLayer extends AbstractTransformerLayer<TokenPositionEmbedding> {

    public TokenPositionEmbeddingLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    @SuppressWarnings("try")   // the workspace scope is entered for its side effect
    public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
        assertInputSet(false);
        checkSupported();
        long batch = input.size(0);
        long len = input.size(1);
        long d = layerConf().getDModel();
        INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, new long[] {batch, len, d}, 'c');
        try (MemoryWorkspace ignored = mgr.notifyScopeBorrowed(ArrayType.FF_WORKING_MEM)) {
            INDArray ids = tokenIds();                                            // [batch * L] int32
            paddingMask(batch, len);    // checked against the ids; padded positions are embedded like any other
            Nd4j.exec(DynamicCustomOp.builder("gather")
                    .addInputs(param(TOKEN), ids)
                    .addOutputs(out.reshape('c', batch * len, d))                 // token rows, [batch * L, d]
                    .addIntegerArguments(0)
                    .build());
            INDArray positions = param(POSITION).get(NDArrayIndex.interval(0, len), NDArrayIndex.all()); // [L, d]
            Broadcast.add(out, positions, out, 1, 2);                             // [batch, L, d]
        }
        return out;
    }

    @Override
    @SuppressWarnings("try")
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
        assertInputSet(true);
        long batch = input.size(0);
        long len = input.size(1);
        long d = layerConf().getDModel();
        try (MemoryWorkspace ignored = mgr.notifyScopeBorrowed(ArrayType.BP_WORKING_MEM)) {
            INDArray dy = contiguous(epsilon);                                    // [batch, L, d]
            INDArray dTok = gradView(TOKEN);                                      // [vocab, d]
            dTok.assign(0.0);
            Nd4j.exec(DynamicCustomOp.builder("scatter_add")
                    .addInputs(dTok, tokenIds(), dy.reshape('c', batch * len, d))
                    .addOutputs(dTok)
                    .addBooleanArguments(true)   // lock: rows of repeated tokens are accumulated without races
                    .build());
            INDArray dPos = gradView(POSITION);                                   // [maxSeqLen, d]
            if (len < dPos.size(0)) {
                // rows past L get no gradient. Not via dPos.get(interval(len, maxSeqLen)): in ND4J 1.0.0-M2.1 that
                // view of a view at a buffer offset can come out empty (rank 0, no data).
                dPos.assign(0.0);
            }
            INDArray dPosUsed = dPos.get(NDArrayIndex.interval(0, len), NDArrayIndex.all());   // [L, d], contiguous
            Rows.sum(dy.reshape('c', batch, len * d), dPosUsed.reshape(len * d));          // sum over the batch
        }
        return new Pair<>(gradientViews(), null);
    }

    /** The input token ids as a flat int32 vector, validated against the vocabulary and the position table. */
    private INDArray tokenIds() {
        TokenPositionEmbedding c = layerConf();
        if (input.rank() != 2) {
            throw new DL4JInvalidInputException("expected token ids [batch, L], got "
                    + Arrays.toString(input.shape()) + " " + layerId());
        }
        if (input.size(1) > c.getMaxSeqLen()) {
            throw new DL4JInvalidInputException("sequence length " + input.size(1) + " exceeds maxSeqLen "
                    + c.getMaxSeqLen() + " " + layerId());
        }
        INDArray ids = input.dup('c').reshape(input.length()).castTo(DataType.INT32);
        int min = ids.minNumber().intValue();
        int max = ids.maxNumber().intValue();
        if (min < 0 || max >= c.getVocabSize()) {
            throw new DL4JInvalidInputException("token ids must be in [0, " + c.getVocabSize() + "), got ["
                    + min + ", " + max + "] " + layerId());
        }
        return ids;
    }

    @Override
    protected void clearCache() {
        // nothing is kept: backward recomputes the ids from the layer input
    }
}
