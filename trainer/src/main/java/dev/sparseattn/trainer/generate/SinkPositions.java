package dev.sparseattn.trainer.generate;

/**
 * Where a rotary model's decode places its global tokens' keys (attention sinks) relative to a query, once a stream
 * passes the training length {@code seqLen}. Rotary attention (Su et al. 2021) depends only on the distance between
 * a query and a key; a sliding-window query reads its window at distances {@code 0 .. w} (all seen in training) and
 * the global (sink) keys at distance {@code i - g}, which in a long stream grows far past anything training saw.
 */
public enum SinkPositions {
    /**
     * Every key at its stream position: a query at {@code i} reads sink {@code g} at distance {@code i - g}, without
     * bound. Equals the full forward of the same weights under a longer {@code seqLen}.
     */
    STREAM,
    /**
     * StreamingLLM (Xiao et al. 2023, "Efficient Streaming Language Models with Attention Sinks", section 3.2) keeps
     * a few leading tokens as sinks and assigns positions within the cache so that no distance exceeds what training
     * saw. Here: a query at {@code i >= seqLen} reads sink {@code g} at distance {@code seqLen - 1 - g}, as the last
     * position of a training row does, and every other key at its true distance (the window's, {@code <= w}). Up to
     * position {@code seqLen - 1} this is exactly the full forward; past it, every query-key distance is one a
     * training row holds, and a query sees its sinks as the last training position saw them. (StreamingLLM's
     * within-cache positions would put the sinks at distance {@code w + 1 + G - g} instead, which training rows also
     * hold, but then positions {@code w + G + 1 .. seqLen - 1} would differ from the full forward.)
     */
    CAPPED
}
