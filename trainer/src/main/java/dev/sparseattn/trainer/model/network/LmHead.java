package dev.sparseattn.trainer.model.network;

import dev.sparseattn.trainer.model.ops.LayerNorm;
import dev.sparseattn.trainer.model.ops.Rows;
import dev.sparseattn.trainer.model.ops.StepTimer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Final LayerNorm, output projection and softmax cross-entropy, processed {@code chunk} rows at a time so that the
 * logits of the whole sequence ({@code [N, vocab]}) never exist at once; at most one {@code [chunk, vocab]} block does.
 * The projection is {@code z = LN(h) W + b} with {@code W [d, vocab]}, or with tied embeddings
 * {@code z = LN(h) E^T + b} with the token table {@code E [vocab, d]} (Press &amp; Wolf 2017, "Using the Output
 * Embedding to Improve Language Models"), whose gradient then gets this use added to the embedding's.
 */
final class LmHead {

    /** Parameters (or gradients): final LayerNorm, projection ({@code [d, V]}, or {@code [V, d]} when tied), bias. */
    record Params(INDArray lnGain, INDArray lnBias, INDArray w, INDArray b) {
    }

    private final boolean tied;
    private final long chunk;

    LmHead(boolean tied, long chunk) {
        this.tied = tied;
        this.chunk = chunk;
    }

    /**
     * Softmax probabilities of every row (inference).
     *
     * @param h   final hidden states // [N, d]
     * @param out probabilities       // [N, V], overwritten
     */
    @SuppressWarnings("try")
    void probabilities(INDArray h, Params p, INDArray out) {
        long n = h.size(0);
        long d = h.size(1);
        INDArray hn = Nd4j.createUninitialized(h.dataType(), new long[] {n, d}, 'c');
        LayerNorm.forward(h, p.lnGain(), p.lnBias(), hn, hn.ulike(), Nd4j.createUninitialized(h.dataType(),
                new long[] {n, 1}, 'c'));
        RowChunks chunks = new RowChunks(n, chunk);
        for (int c = 0; c < chunks.count(); c++) {
            try (MemoryWorkspace ignored = Scopes.open(Scopes.CHUNK)) {
                INDArray z = chunks.rows(out, c);
                logits(chunks.rows(hn, c), p, z);
                Nd4j.exec(new SoftMax(z, z, 1));
            }
        }
    }

    /**
     * Summed cross-entropy of the unmasked rows and, when {@code grads} is given, the gradients of
     * {@code scale * loss}: head parameters (the projection's gradient is added to {@code grads.w}, which the
     * caller zeroes first, so a tied table can collect both uses) and the hidden states.
     *
     * @param h       final hidden states                         // [N, d]
     * @param targets target ids (any numeric type)               // [N]
     * @param mask    1 for real targets, 0 for padding; or null  // [N, 1]
     * @param rowLoss per-row loss (0 where masked), overwritten  // [N, 1], or null
     * @param grads   gradients, or null for the loss only
     * @param dh      gradient of h, overwritten (when grads)     // [N, d]
     * @return the summed loss (nats)
     */
    @SuppressWarnings("try")
    double loss(INDArray h, INDArray targets, INDArray mask, double scale, Params p, INDArray rowLoss, Params grads,
                INDArray dh) {
        try (StepTimer.Span ignored = StepTimer.open(StepTimer.Section.HEAD_LOSS)) {
            return lossUntimed(h, targets, mask, scale, p, rowLoss, grads, dh);
        }
    }

    @SuppressWarnings("try")
    private double lossUntimed(INDArray h, INDArray targets, INDArray mask, double scale, Params p, INDArray rowLoss,
                               Params grads, INDArray dh) {
        long n = h.size(0);
        long d = h.size(1);
        DataType t = h.dataType();
        INDArray hn = Nd4j.createUninitialized(t, new long[] {n, d}, 'c');
        INDArray xhat = Nd4j.createUninitialized(t, new long[] {n, d}, 'c');
        INDArray rstd = Nd4j.createUninitialized(t, new long[] {n, 1}, 'c');
        LayerNorm.forward(h, p.lnGain(), p.lnBias(), hn, xhat, rstd);
        INDArray ids = targets.reshape(n).castTo(DataType.INT32);
        INDArray weights = mask == null ? Nd4j.ones(t, n, 1) : mask.reshape(n, 1).castTo(t);   // [N, 1]
        INDArray dhn = grads == null ? null : Nd4j.createUninitialized(t, new long[] {n, d}, 'c');
        if (grads != null) {
            grads.b().assign(0.0);
        }
        double total = 0;
        RowChunks chunks = new RowChunks(n, chunk);
        for (int c = 0; c < chunks.count(); c++) {
            try (MemoryWorkspace ignored = Scopes.open(Scopes.CHUNK)) {
                INDArray hc = chunks.rows(hn, c);                                             // [c, d]
                INDArray wc = chunks.rows(weights, c);                                        // [c, 1]
                long rows = hc.size(0);
                long vocab = p.b().length();
                INDArray z = logits(hc, p, Nd4j.createUninitialized(t, new long[] {rows, vocab}, 'c'));  // [c, V]
                INDArray oneHot = Nd4j.create(t, rows, vocab);
                Nd4j.exec(new OneHot(chunks.rows(ids.reshape(n, 1), c).reshape(rows), oneHot, (int) vocab));
                INDArray max = z.max(true, 1);                                                // [c, 1]
                INDArray lse = Transforms.log(Transforms.exp(z.subColumnVector(max), false).sum(true, 1), false)
                        .addi(max);                                                           // log-sum-exp [c, 1]
                INDArray target = z.mul(oneHot).sum(true, 1);                                 // z[target]  [c, 1]
                INDArray loss = lse.subi(target).muli(wc);                                    // [c, 1]
                total += loss.sumNumber().doubleValue();
                if (rowLoss != null) {
                    chunks.rows(rowLoss, c).assign(loss);
                }
                if (grads == null) {
                    continue;
                }
                Nd4j.exec(new SoftMax(z, z, 1));
                INDArray dz = z.subi(oneHot).muliColumnVector(wc.mul(scale));                 // d(scale loss)/dz
                if (tied) {
                    Nd4j.gemm(dz, hc, grads.w(), true, false, 1.0, 1.0);                      // dE += dz^T LN(h)
                    Nd4j.gemm(dz, p.w(), chunks.rows(dhn, c), false, false, 1.0, 0.0);        // dz E
                } else {
                    Nd4j.gemm(hc, dz, grads.w(), true, false, 1.0, 1.0);                      // dW += LN(h)^T dz
                    Nd4j.gemm(dz, p.w(), chunks.rows(dhn, c), false, true, 1.0, 0.0);         // dz W^T
                }
                grads.b().addi(Rows.sum(dz, Nd4j.createUninitialized(t, new long[] {vocab}, 'c')));
            }
        }
        if (grads != null) {
            LayerNorm.backward(dhn, xhat, rstd, p.lnGain(), dh, grads.lnGain(), grads.lnBias());
        }
        return total;
    }

    /** Logits of rows {@code hn} (already normalised) into {@code z} // [c, V]. */
    private INDArray logits(INDArray hn, Params p, INDArray z) {
        Nd4j.gemm(hn, p.w(), z, false, tied, 1.0, 0.0);
        return z.addiRowVector(p.b());
    }
}
