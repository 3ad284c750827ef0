package dev.sparseattn.trainer.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparseattn.datasets.tokenize.Tokenizer;

/**
 * The answer of {@code POST /v1/score}: for every token of the text its natural log-probability and its surprisal
 * in bits ({@code -log2 p}), the total in bits, and bits per token and per UTF-8 byte of the text.
 */
final class ScoreAnswer {
  private static final double LN2 = Math.log(2);

  private ScoreAnswer() {}

  /**
   * @param ids EOS then the text's ids
   * @param logProbs natural log-probability of {@code ids[1..]}
   * @param bytes UTF-8 bytes of the text
   */
  static ObjectNode json(int[] ids, double[] logProbs, int bytes, Tokenizer tokenizer) {
    ObjectNode o = Requests.JSON.createObjectNode();
    ArrayNode tokens = o.putArray("tokens");
    double nats = 0;
    for (int t = 0; t < logProbs.length; t++) {
      ObjectNode tok = tokens.addObject();
      tok.put("token", ids[t + 1]);
      tok.put("text", tokenizer.decode(ids, t + 1, t + 2));
      tok.put("logprob", logProbs[t]);
      tok.put("bits", -logProbs[t] / LN2);
      nats -= logProbs[t];
    }
    o.put("token_count", logProbs.length);
    o.put("byte_count", bytes);
    o.put("total_nats", nats);
    o.put("total_bits", nats / LN2);
    o.put("bits_per_token", nats / LN2 / logProbs.length);
    o.put("bits_per_byte", nats / LN2 / bytes);
    return o;
  }
}
