package dev.sparseattn.trainer.model.layers;

import java.util.List;
import org.deeplearning4j.nn.conf.layers.Layer;

/** Parameters of {@link TokenPositionEmbedding}: {@code tokEmb [vocab, d]}, {@code posEmb [maxSeqLen, d]}. */
public final class TokenPositionEmbeddingParams extends ParamLayout {

    public static final String TOKEN = "tokEmb";
    public static final String POSITION = "posEmb";

    static final TokenPositionEmbeddingParams INSTANCE = new TokenPositionEmbeddingParams();

    @Override
    protected List<Spec> specs(Layer layer) {
        TokenPositionEmbedding c = (TokenPositionEmbedding) layer;
        return List.of(
                weight(TOKEN, c.getInitStd(), c.getVocabSize(), c.getDModel()),
                weight(POSITION, c.getInitStd(), c.getMaxSeqLen(), c.getDModel()));
    }
}
