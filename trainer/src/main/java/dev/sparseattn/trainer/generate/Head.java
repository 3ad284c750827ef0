package dev.sparseattn.trainer.generate;

import dev.sparseattn.trainer.model.network.LmParams;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The output head in double for one row: final LayerNorm, projection {@code z = LN(h) W + b} ({@code W [d, V]}, or
 * the token table transposed when tied, Press &amp; Wolf 2017) and log-softmax, as
 * {@code TransformerLM.nextTokenLogProbs} computes it.
 */
final class Head {

    private final int d;
    private final int vocab;
    private final boolean tied;
    private final double[] gain;
    private final double[] bias;
    private final double[] w;      // [d, V], or [V, d] when tied
    private final double[] b;      // [V]
    private final double[] hn;     // [d]

    private Head(int d, int vocab, boolean tied, double[] gain, double[] bias, double[] w, double[] b) {
        this.d = d;
        this.vocab = vocab;
        this.tied = tied;
        this.gain = gain;
        this.bias = bias;
        this.w = w;
        this.b = b;
        this.hn = new double[d];
    }

    static Head of(TransformerConfig c, Map<String, INDArray> p) {
        INDArray w = c.tiedEmbeddings() ? p.get(LmParams.TOKEN) : p.get(LmParams.HEAD_W);
        return new Head(c.dModel(), c.vocabSize(), c.tiedEmbeddings(), BlockWeights.doubles(p.get(LmParams.LNF_GAIN)),
                BlockWeights.doubles(p.get(LmParams.LNF_BIAS)), BlockWeights.doubles(w),
                BlockWeights.doubles(p.get(LmParams.HEAD_B)));
    }

    /**
     * Log-probabilities of the next token from the final hidden state {@code h[off..+d)}.
     *
     * @param into reused when of length V, else a new array is returned
     */
    double[] logProbs(double[] h, int off, double[] into) {
        double[] z = into != null && into.length == vocab ? into : new double[vocab];
        RowMath.layerNorm(h, off, d, gain, bias, hn, 0);
        if (tied) {
            for (int v = 0; v < vocab; v++) {
                double s = b[v];
                int row = v * d;
                for (int j = 0; j < d; j++) {
                    s += hn[j] * w[row + j];
                }
                z[v] = s;
            }
        } else {
            RowMath.affine(hn, 0, d, w, b, vocab, z, 0);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double x : z) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (double x : z) {
            sum += Math.exp(x - max);
        }
        double logSumExp = max + Math.log(sum);
        for (int v = 0; v < vocab; v++) {
            z[v] -= logSumExp;
        }
        return z;
    }
}
