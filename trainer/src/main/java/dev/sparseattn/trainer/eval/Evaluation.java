package dev.sparseattn.trainer.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result of the {@code evaluate} job: every method's held-out bits per native unit, with what was
 * measured; rendered as {@code evaluation.json} and as a markdown table a README can include verbatim.
 *
 * @param dataset the prepared dataset's location
 * @param tokenizer the dataset's tokenizer name
 * @param unit {@code byte} or {@code base}
 * @param split the held-out split scored: {@code validation} or {@code test} ({@code evaluate.split})
 * @param heldOutUnits target units scored (bytes or bases)
 * @param heldOutRows held-out rows scored
 * @param heldOutComplete whether the whole held-out split was scored
 * @param trainUnits units the baselines were trained on
 * @param trainComplete whether the whole train split was used
 * @param modelBitsPerToken the model's bits per token, NaN without a model
 * @param scores the model (when given) and the baselines
 */
public record Evaluation(String dataset, String tokenizer, String unit, String split, long heldOutUnits, int heldOutRows,
                         boolean heldOutComplete, long trainUnits, boolean trainComplete,
                         double modelBitsPerToken, List<Score> scores) {

  /** The JSON object written to {@code evaluation.json}. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dataset", dataset);
    m.put("tokenizer", tokenizer);
    m.put("unit", unit);
    m.put("split", split);
    m.put("held_out_units", heldOutUnits);
    m.put("held_out_rows", heldOutRows);
    m.put("held_out_complete", heldOutComplete);
    m.put("train_units", trainUnits);
    m.put("train_complete", trainComplete);
    if (!Double.isNaN(modelBitsPerToken)) {
      m.put("model_bits_per_token", modelBitsPerToken);
    }
    m.put("scores", scores.stream().map(s -> {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("method", s.method());
      r.put("kind", s.kind());
      if (s.order() >= 0) {
        r.put("order", s.order());
      }
      r.put("bits_per_" + unit, s.bitsPerUnit());
      return r;
    }).toList());
    return m;
  }

  /** A markdown table, one method per row, with a one-line caption saying what was measured. */
  public String toMarkdown() {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "Held-out bits per %s: %,d %ss of %,d %s sequences%s; "
            + "baselines trained on %,d %ss of the train split%s.%n%n", unit, heldOutUnits, unit, heldOutRows, split,
        heldOutComplete ? " (the whole split)" : " (capped)", trainUnits, unit, trainComplete ? "" : " (capped)"));
    b.append("| method | bits per ").append(unit).append(" |\n| --- | ---: |\n");
    for (Score s : scores) {
      b.append(String.format(Locale.ROOT, "| %s | %.3f |%n", s.method(), s.bitsPerUnit()));
    }
    return b.toString();
  }
}
