package dev.sparseattn.trainer.generate;

import dev.sparseattn.datasets.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Text generation on a {@link DecodeEngine} and a tokenizer: each request has its own seeded {@link TokenSampler}
 * (temperature, top-k, top-p), so its text depends on its seed only, not on what is decoded beside it; several
 * requests are decoded together, one batched engine step per token. A request ends at the end-of-document token
 * ({@link GenerationConfig#stopAtEos}), at a stop string (the text ends before it; nothing past it is emitted), after
 * {@code maxNewTokens}, or when its slot is full ({@code "context"}; with {@code slide} the context is cut to its
 * last half and prefilled again instead).
 *
 * <p>A prompt starts a new document: it follows the end-of-document id, as in training. When the engine prefills token
 * by token ({@link DecodeEngine#prefillsStepwise}), a prompt's tokens after the first are fed in the following steps,
 * one per step, beside the other sequences' tokens (the same log-probabilities, bit for bit, as opening it alone).
 */
public final class Generator {

    /** Why a generation ended. */
    public static final String EOS = "eos";
    public static final String STOP = "stop";
    public static final String LENGTH = "length";
    public static final String CONTEXT = "context";
    public static final String CANCELLED = "cancelled";

    /** One generated token: its id, the text it completes (may be empty: held back), its log-probability. */
    public record TokenEvent(int token, String text, double logProb) {
    }

    /** A finished generation: the generated ids, the text (before any stop string) and why it ended. */
    public record Result(int[] tokens, String text, String finishReason) {
    }

    /** A request for {@link #generateAll}. */
    public record Request(String prompt, GenerationConfig config, Consumer<TokenEvent> onToken) {
    }

    private final DecodeEngine engine;
    private final Tokenizer tokenizer;
    private final boolean slide;

    /**
     * @param slide when a slot is full, keep generating from the last half of the context (prefilled again)
     *              instead of ending with {@link #CONTEXT}
     */
    public Generator(DecodeEngine engine, Tokenizer tokenizer, boolean slide) {
        if (tokenizer.vocabSize() > engine.vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize()
                    + " ids but the model only " + engine.vocabSize());
        }
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.slide = slide;
    }

    public Generator(DecodeEngine engine, Tokenizer tokenizer) {
        this(engine, tokenizer, false);
    }

    /** Generates a continuation of {@code prompt}, handing each token to {@code onToken} (may be null) as it comes. */
    public Result generate(String prompt, GenerationConfig config, Consumer<TokenEvent> onToken) {
        return generateAll(List.of(new Request(prompt, config, onToken))).get(0);
    }

    /** Generates every request, all decoded together (at most the engine's free slots). */
    public List<Result> generateAll(List<Request> requests) {
        if (requests.size() > engine.freeSlots()) {
            throw new IllegalStateException(requests.size() + " requests but " + engine.freeSlots() + " free slots");
        }
        List<Sequence> all = new ArrayList<>();
        try {
            for (Request r : requests) {
                all.add(start(r.prompt(), r.config(), r.onToken()));
            }
            List<Sequence> running = new ArrayList<>(all);
            while (!running.isEmpty()) {
                step(running);
                running.removeIf(Sequence::done);
            }
        } finally {
            for (Sequence s : all) {
                s.finish(s.done() ? s.reason : LENGTH);
            }
        }
        return all.stream().map(Sequence::result).toList();
    }

    /** Opens a sequence for {@code prompt} (after the end-of-document id) in a free slot. */
    public Sequence start(String prompt, GenerationConfig config, Consumer<TokenEvent> onToken) {
        int[] ids = tokenizer.encode(prompt);
        int[] context = new int[ids.length + 1];
        context[0] = tokenizer.eosId();
        System.arraycopy(ids, 0, context, 1, ids.length);
        return start(context, config, onToken);
    }

    /** Opens a sequence for the token ids {@code context} in a free slot. */
    public Sequence start(int[] context, GenerationConfig config, Consumer<TokenEvent> onToken) {
        return new Sequence(context, config, onToken);
    }

    /**
     * One token for every unfinished sequence: each samples from its log-probabilities and emits; those that go on
     * take their token in one batched engine step. Finished sequences release their slots.
     */
    public void step(List<Sequence> sequences) {
        int[] slots = new int[sequences.size()];
        int[] tokens = new int[sequences.size()];
        int n = 0;
        for (Sequence s : sequences) {
            if (s.done()) {
                continue;
            }
            if (s.fed < s.context.length) {                         // still prefilling: its next prompt token
                slots[n] = s.slot;
                tokens[n++] = s.context[s.fed++];
            } else if (s.choose()) {
                slots[n] = s.slot;
                tokens[n++] = s.last;
            }
        }
        if (n > 0) {
            engine.step(Arrays.copyOf(slots, n), Arrays.copyOf(tokens, n));
        }
    }

    /** One request's state: its slot, sampler, tokens and the text emitted so far. */
    public final class Sequence {
        private final GenerationConfig config;
        private final Consumer<TokenEvent> onToken;
        private final TokenSampler sampler;
        private final int[] context;         // prompt ids, for sliding
        private int fed;                     // prompt ids fed to the engine so far
        private int[] generated = new int[16];
        private int count;
        private int emitted;                 // chars of the text handed out
        private String text = "";
        private int slot;
        private int last;
        private String reason;

        private Sequence(int[] context, GenerationConfig config, Consumer<TokenEvent> onToken) {
            this.config = config;
            this.onToken = onToken;
            this.sampler = new TokenSampler(config.temperature(), config.topK(), config.topP(), config.seed());
            this.context = context;
            if (engine.prefillsStepwise() && context.length > 1) {
                // token-by-token prefill: the first token now, the others in the next steps beside other sequences
                engine.checkPrompt(context);
                this.slot = engine.open(Arrays.copyOf(context, 1));
                this.fed = 1;
            } else {
                this.slot = engine.open(context);
                this.fed = context.length;
            }
        }

        /** Whether the prompt is still being fed, one token per step (see {@link DecodeEngine#prefillsStepwise}). */
        public boolean prefilling() {
            return fed < context.length;
        }

        /** The engine slot this sequence decodes in. */
        public int slot() {
            return slot;
        }

        public boolean done() {
            return reason != null;
        }

        /** The outcome (once {@link #done}). */
        public Result result() {
            return new Result(Arrays.copyOf(generated, count), text, reason);
        }

        /** Samples, emits; true when the token must be fed to the engine (the sequence goes on). */
        private boolean choose() {
            double[] logProbs = engine.logProbs(slot);
            int token = sampler.next(logProbs, tokenizer.padId());
            if (token == tokenizer.eosId() && config.stopAtEos()) {
                emit(-1, 0, text.length());                        // text held back for a stop string
                finish(EOS);
                return false;
            }
            if (count == generated.length) {
                generated = Arrays.copyOf(generated, 2 * count);
            }
            generated[count++] = token;
            String full = tokenizer.decode(generated, 0, count);
            int stopAt = -1;
            for (String s : config.stop()) {
                int at = full.indexOf(s);
                if (at >= 0 && (stopAt < 0 || at < stopAt)) {
                    stopAt = at;
                }
            }
            text = stopAt >= 0 ? full.substring(0, stopAt) : full;
            boolean more = stopAt < 0 && count < config.maxNewTokens();
            emit(token, logProbs[token], more ? safeEnd(text) : text.length());
            last = token;
            if (!more) {
                finish(stopAt >= 0 ? STOP : LENGTH);
                return false;
            }
            if (engine.length(slot) >= engine.maxLength()) {
                if (!slide) {
                    emit(-1, 0, text.length());
                    finish(CONTEXT);
                    return false;
                }
                reopen();
            }
            return true;
        }

        /** Prefills the last half of the context (prompt + generated) anew in the slot. */
        private void reopen() {
            int total = context.length + count - 1;               // held by the slot (the last token not yet fed)
            int keep = Math.max(1, engine.maxLength() / 2);
            int[] all = new int[total];
            System.arraycopy(context, 0, all, 0, context.length);
            System.arraycopy(generated, 0, all, context.length, count - 1);
            engine.release(slot);
            slot = engine.open(Arrays.copyOfRange(all, total - keep, total));
        }

        /** Hands out {@code text[emitted, end)} (with the token; {@code token < 0}: only pending text). */
        private void emit(int token, double logProb, int end) {
            String delta = end > emitted ? text.substring(emitted, end) : "";
            emitted = Math.max(emitted, end);
            if (onToken != null && (token >= 0 || !delta.isEmpty())) {
                onToken.accept(new TokenEvent(token, delta, logProb));
            }
        }

        /** The end of the text that is final: not an incomplete character, not a possible start of a stop string. */
        private int safeEnd(String t) {
            int end = t.length();
            while (end > emitted && t.charAt(end - 1) == '\uFFFD') {
                end--;
            }
            int cut = end;
            for (String s : config.stop()) {
                for (int k = Math.min(s.length() - 1, end); k > 0; k--) {
                    if (t.startsWith(s.substring(0, k), end - k)) {      // the text may go on into s
                        cut = Math.min(cut, end - k);
                        break;
                    }
                }
            }
            return Math.max(cut, emitted);
        }

        /** Ends the sequence now (e.g. its client went away), freeing its slot; finish reason {@link #CANCELLED}. */
        public void cancel() {
            finish(CANCELLED);
        }

        private void finish(String why) {
            if (reason == null) {
                reason = why;
                engine.release(slot);
            }
        }
    }
}
