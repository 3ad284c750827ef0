package dev.sparseattn.trainer.model.layers;

import java.util.Objects;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Configuration of the input layer: token embedding plus learned absolute position embedding (GPT-2).
 * Input {@code [batch, L]} token ids (as floating point numbers, {@code L <= maxSeqLen}); output
 * {@code [batch, L, dModel]}. Parameters: {@code tokEmb [vocabSize, dModel]}, {@code posEmb [maxSeqLen, dModel]}.
 */
public class TokenPositionEmbedding extends TransformerLayerConf {

    private int vocabSize;
    private int maxSeqLen;
    private double initStd;

    /** For JSON deserialisation. */
    public TokenPositionEmbedding() {
    }

    public TokenPositionEmbedding(int vocabSize, int maxSeqLen, int dModel, double initStd) {
        super(dModel);
        this.vocabSize = vocabSize;
        this.maxSeqLen = maxSeqLen;
        this.initStd = initStd;
    }

    @Override
    protected org.deeplearning4j.nn.api.Layer createLayer(NeuralNetConfiguration conf, DataType dataType) {
        return new TokenPositionEmbeddingLayer(conf, dataType);
    }

    @Override
    public ParamInitializer initializer() {
        return TokenPositionEmbeddingParams.INSTANCE;
    }

    /** Accepts token ids described as feed-forward input of size L (or recurrent input of length L). */
    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        long len = tokenIdsLength(layerIndex, inputType, "TokenPositionEmbedding");
        return InputType.recurrent(dModel, len, RNNFormat.NWC);
    }

    public int getVocabSize() {
        return vocabSize;
    }

    public void setVocabSize(int vocabSize) {
        this.vocabSize = vocabSize;
    }

    public int getMaxSeqLen() {
        return maxSeqLen;
    }

    public void setMaxSeqLen(int maxSeqLen) {
        this.maxSeqLen = maxSeqLen;
    }

    public double getInitStd() {
        return initStd;
    }

    public void setInitStd(double initStd) {
        this.initStd = initStd;
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && o instanceof TokenPositionEmbedding that && vocabSize == that.vocabSize
                && maxSeqLen == that.maxSeqLen && initStd == that.initStd;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), vocabSize, maxSeqLen, initStd);
    }
}
