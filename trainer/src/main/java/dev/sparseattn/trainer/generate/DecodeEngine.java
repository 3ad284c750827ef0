package dev.sparseattn.trainer.generate;

import dev.sparseattn.trainer.model.TransformerLM;
import dev.sparseattn.trainer.model.attention.AttentionSpec;
import dev.sparseattn.trainer.model.attention.LshAttention;
import dev.sparseattn.trainer.model.network.LmParams;
import dev.sparseattn.trainer.model.network.PositionTable;
import dev.sparseattn.trainer.model.network.TransformerConfig;
import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Incremental decoder of one model: per-layer caches for up to {@code maxSlots} concurrent sequences. Not
 * thread-safe.
 *
 * <p>{@link #open} prefills a prompt with one forward pass through the training code's branches and sparse kernels
 * (in the model's data type), filling each layer's decode cache ({@code model.attention.decode}) for the slot;
 * {@link #step} appends one token to each of several slots, of any lengths, in one batched step through every layer
 * (plain double arithmetic per row, each layer's cache step over all rows at once). Blocks are pre-LayerNorm
 * (GPT-2, Radford et al. 2019); a reversible model decodes as {@code y1 = x1 + F(x2)}, {@code y2 = x2 + G(y1)} with
 * {@code x1 = x2 = embedding} and output {@code (y1 + y2) / 2}, nothing reconstructed (Gomez et al. 2017). The
 * next-token log-probabilities are computed in double from the final hidden state, as
 * {@link TransformerLM#nextTokenLogProbs} does.
 *
 * <p>Positions: learned or axial (absolute) models hold at most {@code seqLen} tokens per slot; rotary models any
 * number (a sliding-window cache stays bounded). LSH (Reformer) layers: a forward's output at a position depends on
 * later tokens (they move chunk boundaries), which no left-to-right decode can reproduce; the cache computes each
 * position as the forward over its own prefix. When an LSH layer feeds another layer, a prompt is therefore
 * prefilled token by token (prefix-consistent throughout, and equal to decoding it step by step); otherwise with one
 * forward, whose last position is exactly the full forward's.
 *
 * <p>Streams past the training length (rotary models): with {@link SinkPositions#CAPPED} a sliding-window model's
 * global tokens act as StreamingLLM's attention sinks (Xiao et al. 2023): a query past {@code seqLen - 1} reads them
 * at the distance the last training position does, so a stream of any length sees only distances training saw, in
 * constant memory; a prompt longer than {@code seqLen} is then prefilled up to {@code seqLen} and stepped on from
 * there (the same semantics at every position).
 *
 * <p>The weights are copied when the engine is built: later training of {@code net} does not reach it.
 */
public final class DecodeEngine implements AutoCloseable {

    /** The workspace of one block of a prefill: learns its size over the first prefills, then reuses one buffer. */
    private static final WorkspaceConfiguration PREFILL_SCOPE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .overallocationLimit(0.02)
            .policyLearning(LearningPolicy.OVER_TIME)
            .cyclesBeforeInitialization(2)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .build();
    private static final String PREFILL_SCOPE_ID = "SPARSEATTN_DECODE_PREFILL";

    private final TransformerConfig config;
    private final DataType type;
    private final int maxSlots;
    private final int maxLength;
    private final int d;
    private final int vocab;
    private final boolean reversible;
    private final boolean stepwisePrefill;
    private final int prefillLimit;        // longest prompt prefilled by one forward; the rest is stepped
    private final DecodeLayer[] layers;
    private final Head head;
    private final double[] tokens;         // [vocab * d]
    private final double[] positions;      // [seqLen * d] or null
    private final boolean[] open;
    private final int[] length;
    private final double[][] logProbs;
    private final boolean[] active;
    private final double[] a;              // [slots][d] residual stream (x1 / the stream)
    private final double[] b;              // [slots][d] second stream of a reversible model
    private final double[] f;              // [slots][d] branch output
    private boolean closed;

    /**
     * @param net       a network built by {@link TransformerLM}
     * @param maxSlots  sequences decoded at once
     * @param maxLength longest context a slot holds (tokens); at most {@code seqLen} for absolute positions
     */
    public DecodeEngine(MultiLayerNetwork net, int maxSlots, int maxLength) {
        this(net, maxSlots, maxLength, SinkPositions.STREAM);
    }

    /**
     * @param net       a network built by {@link TransformerLM}
     * @param maxSlots  sequences decoded at once
     * @param maxLength longest context a slot holds (tokens); at most {@code seqLen} for absolute positions
     * @param sinks     where a rotary model's global (sink) keys sit for queries past {@code seqLen - 1}; no effect
     *                  on absolute positions (they end at {@code seqLen})
     */
    public DecodeEngine(MultiLayerNetwork net, int maxSlots, int maxLength, SinkPositions sinks) {
        this.config = TransformerLM.config(net);
        if (maxSlots < 1) {
            throw new IllegalArgumentException("maxSlots must be >= 1, got " + maxSlots);
        }
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be >= 1, got " + maxLength);
        }
        if (config.positions() != TransformerConfig.Positions.ROTARY && maxLength > config.seqLen()) {
            throw new IllegalArgumentException("maxLength " + maxLength + " exceeds the model's seqLen "
                    + config.seqLen() + ": its " + config.positions().name().toLowerCase()
                    + " positions are absolute and end there (a rotary model has no such limit)");
        }
        Map<String, INDArray> params = TransformerLM.layer(net).paramTable();
        this.type = net.params().dataType();
        this.maxSlots = maxSlots;
        this.maxLength = maxLength;
        this.d = config.dModel();
        this.vocab = config.vocabSize();
        this.reversible = config.residual() == TransformerConfig.Residual.REVERSIBLE;
        boolean rotary = config.positions() == TransformerConfig.Positions.ROTARY;
        boolean capped = rotary && sinks == SinkPositions.CAPPED;
        int sinkCap = capped ? config.seqLen() - 1 : -1;
        this.prefillLimit = capped ? config.seqLen() : Integer.MAX_VALUE;
        this.layers = new DecodeLayer[config.nLayers()];
        boolean lshBelow = false;
        for (int i = 0; i < layers.length; i++) {
            AttentionSpec spec = config.attentionFor(i);
            if (spec.kind() == AttentionSpec.Kind.LSH) {
                // layer i's inference rotations; a fresh kernel (layer 0, inference) and the cache both draw from it
                spec = spec.withSeed(LshAttention.drawSeed(spec.seed(), i, -1));
            }
            lshBelow |= i < layers.length - 1 && spec.kind() == AttentionSpec.Kind.LSH;
            layers[i] = new DecodeLayer(spec, BlockWeights.of(params, i), maxSlots, d, config.nHeads(),
                    config.ffnHidden(), rotary, type, Math.min(maxLength, 1024), sinkCap);
        }
        this.stepwisePrefill = lshBelow;
        this.head = Head.of(config, params);
        INDArray positionTable = PositionTable.of(config, params);                         // [seqLen, d] or null
        this.tokens = BlockWeights.doubles(params.get(LmParams.TOKEN));
        this.positions = positionTable == null ? null : BlockWeights.doubles(positionTable);
        this.open = new boolean[maxSlots];
        this.length = new int[maxSlots];
        this.logProbs = new double[maxSlots][];
        this.active = new boolean[maxSlots];
        this.a = new double[maxSlots * d];
        this.b = new double[maxSlots * d];
        this.f = new double[maxSlots * d];
    }

    /** The model's vocabulary size (length of {@link #logProbs}). */
    public int vocabSize() {
        return vocab;
    }

    /** The model's architecture. */
    public TransformerConfig config() {
        return config;
    }

    /** Longest context a slot holds. */
    public int maxLength() {
        return maxLength;
    }

    /** Slots not holding a sequence. */
    public int freeSlots() {
        int n = 0;
        for (boolean o : open) {
            n += o ? 0 : 1;
        }
        return n;
    }

    /** Bytes held by every layer's key/value cache. */
    public long cacheBytes() {
        long n = 0;
        for (DecodeLayer l : layers) {
            n += l.cacheBytes();
        }
        return n;
    }

    /**
     * Starts a sequence: prefills {@code prompt} in a free slot.
     *
     * @return the slot id
     * @throws IllegalArgumentException for an empty or too long prompt, or a token id outside the vocabulary
     * @throws IllegalStateException    when every slot is taken
     */
    public int open(int[] prompt) {
        checkPrompt(prompt);
        int slot = -1;
        for (int s = 0; s < maxSlots && slot < 0; s++) {
            slot = open[s] ? -1 : s;
        }
        if (slot < 0) {
            throw new IllegalStateException("all " + maxSlots + " slots are taken: release one first");
        }
        if (stepwisePrefill) {
            for (DecodeLayer l : layers) {
                l.reset(slot);
            }
            length[slot] = 0;
            open[slot] = true;
            for (int token : prompt) {
                step(new int[] {slot}, new int[] {token});
            }
            return slot;
        }
        int direct = Math.min(prompt.length, prefillLimit);
        prefill(slot, Arrays.copyOf(prompt, direct));
        open[slot] = true;
        length[slot] = direct;
        for (int t = direct; t < prompt.length; t++) {
            step(new int[] {slot}, new int[] {prompt[t]});
        }
        return slot;
    }

    /**
     * Checks a prompt as {@link #open} does, without opening anything.
     *
     * @throws IllegalArgumentException for an empty or too long prompt, or a token id outside the vocabulary
     */
    public void checkPrompt(int[] prompt) {
        checkOpen();
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token");
        }
        if (prompt.length > maxLength) {
            throw new IllegalArgumentException("the prompt holds " + prompt.length + " tokens, more than the "
                    + maxLength + " a slot holds" + limitNote());
        }
        for (int t = 0; t < prompt.length; t++) {
            checkToken(prompt[t], "prompt token " + t);
        }
    }

    /**
     * Whether {@link #open} prefills a prompt token by token (an LSH layer feeds another layer, see the class
     * comment): then opening the slot with the prompt's first token and feeding the rest through {@link #step}, one
     * token per step, gives the same slot state and log-probabilities bit for bit, and lets those steps share batched
     * steps with other sequences instead of running alone.
     */
    public boolean prefillsStepwise() {
        return stepwisePrefill;
    }

    /** Log-probabilities of the next token after the slot's last token // [vocab] (the engine's array: do not modify). */
    public double[] logProbs(int slot) {
        checkSlot(slot);
        return logProbs[slot];
    }

    /**
     * Appends one token to each listed slot, all in one batched step, and updates their {@link #logProbs}.
     *
     * @throws IllegalArgumentException for a slot not open or listed twice, a bad token id, or a full slot
     */
    public void step(int[] slots, int[] tokenIds) {
        checkOpen();
        if (slots.length != tokenIds.length) {
            throw new IllegalArgumentException(slots.length + " slots but " + tokenIds.length + " tokens");
        }
        Arrays.fill(active, false);
        for (int i = 0; i < slots.length; i++) {
            int s = slots[i];
            checkSlot(s);
            if (active[s]) {
                throw new IllegalArgumentException("slot " + s + " listed twice in one step");
            }
            checkToken(tokenIds[i], "token for slot " + s);
            if (length[s] >= maxLength) {
                throw new IllegalArgumentException("slot " + s + " is full: it holds " + maxLength + " tokens"
                        + limitNote());
            }
            active[s] = true;
            embed(tokenIds[i], length[s], a, s * d);
        }
        if (reversible) {
            System.arraycopy(a, 0, b, 0, a.length);
        }
        for (DecodeLayer l : layers) {
            l.attentionStep(reversible ? b : a, active, f);
            addActive(a, f);                                           // x1 = x + F(x)  |  y1 = x1 + F(x2)
            l.feedForwardStep(a, active, f);
            addActive(reversible ? b : a, f);                          // y = x1 + G(x1) |  y2 = x2 + G(y1)
        }
        for (int i = 0; i < slots.length; i++) {
            int s = slots[i];
            if (reversible) {
                for (int j = s * d; j < (s + 1) * d; j++) {
                    a[j] = (a[j] + b[j]) * 0.5;
                }
            }
            logProbs[s] = head.logProbs(a, s * d, logProbs[s]);
            length[s]++;
        }
    }

    /** Tokens the slot holds. */
    public int length(int slot) {
        checkSlot(slot);
        return length[slot];
    }

    /** Frees the slot for another sequence. */
    public void release(int slot) {
        checkSlot(slot);
        open[slot] = false;
        length[slot] = 0;
        for (DecodeLayer l : layers) {
            l.reset(slot);
        }
    }

    @Override
    public void close() {
        closed = true;
        Arrays.fill(open, false);
    }

    /** One forward of the prompt through every block in the model's type; the caches take its q, k, v. */
    @SuppressWarnings("try")
    private void prefill(int slot, int[] prompt) {
        int len = prompt.length;
        // gathered from the double copies (getRows on the table costs milliseconds for a few hundred rows); a float
        // model's two embeddings are floats, their sum rounded to float once, as the float addition does
        double[] rows = new double[len * d];
        for (int t = 0; t < len; t++) {
            embed(prompt[t], t, rows, t * d);
        }
        INDArray x = Nd4j.createFromArray(rows).reshape('c', len, d).castTo(type);        // [L, d]
        INDArray x2 = reversible ? x.dup('c') : null;
        for (DecodeLayer l : layers) {
            // one block's temporaries in a workspace scope, reused by the next block and the next prefill instead of
            // fresh allocations (which cost more than the arithmetic here, and pile up at long prompts until a GC)
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace(PREFILL_SCOPE,
                    PREFILL_SCOPE_ID)) {
                x.addi(l.attentionPrefill(reversible ? x2 : x, slot));
                (reversible ? x2 : x).addi(l.feedForwardPrefill(x));
            }
        }
        INDArray last = x.getRow(len - 1);
        if (reversible) {
            last = last.add(x2.getRow(len - 1)).muli(0.5);
        }
        double[] hLast = last.castTo(DataType.DOUBLE).dup('c').data().asDouble();            // [d]
        logProbs[slot] = head.logProbs(hLast, 0, logProbs[slot]);
    }

    /** Token embedding plus the absolute position's (none for rotary), into {@code out[off..+d)}. */
    private void embed(int token, int position, double[] out, int off) {
        System.arraycopy(tokens, token * d, out, off, d);
        if (positions != null) {
            int p = position * d;
            for (int j = 0; j < d; j++) {
                out[off + j] += positions[p + j];
            }
        }
    }

    private void addActive(double[] into, double[] add) {
        for (int s = 0; s < maxSlots; s++) {
            if (active[s]) {
                for (int j = s * d; j < (s + 1) * d; j++) {
                    into[j] += add[j];
                }
            }
        }
    }

    private String limitNote() {
        return config.positions() == TransformerConfig.Positions.ROTARY ? ""
                : " (the model's absolute positions end at seqLen " + config.seqLen() + ")";
    }

    private void checkToken(int id, String what) {
        if (id < 0 || id >= vocab) {
            throw new IllegalArgumentException(what + " is " + id + ", outside the vocabulary [0, " + vocab + ")");
        }
    }

    private void checkSlot(int slot) {
        if (slot < 0 || slot >= maxSlots || !open[slot]) {
            throw new IllegalArgumentException("slot " + slot + " is not an open sequence");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the decode engine is closed");
        }
    }
}
