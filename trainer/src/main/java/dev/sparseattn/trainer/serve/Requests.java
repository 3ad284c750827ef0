package dev.sparseattn.trainer.serve;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparseattn.trainer.generate.GenerationConfig;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Parses and validates request bodies field by field, so that every problem is a 400 naming the field: malformed
 * JSON, a body that is not an object, unknown or duplicate fields, wrong types, values out of range.
 */
final class Requests {
  static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static final Set<String> GENERATE_FIELDS =
      Set.of("prompt", "max_new_tokens", "temperature", "top_k", "top_p", "stop", "stop_at_eos", "seed", "stream");
  private static final Set<String> SCORE_FIELDS = Set.of("text");

  private Requests() {}

  /**
   * A {@code /v1/generate} body.
   *
   * @param maxNewTokens limit from the configuration (and the default)
   */
  static GenerateRequest generate(byte[] body, int maxNewTokens) {
    ObjectNode o = object(body, GENERATE_FIELDS);
    String prompt = text(o, "prompt");
    int maxNew = (int) integer(o, "max_new_tokens", maxNewTokens, 1, Integer.MAX_VALUE);
    if (maxNew > maxNewTokens) {
      throw new HttpError(400, "max_new_tokens " + maxNew + " is over the server's limit of " + maxNewTokens);
    }
    double temperature = number(o, "temperature", GenerateRequest.DEFAULT_TEMPERATURE, 0, 100);
    int topK = (int) integer(o, "top_k", 0, 0, Integer.MAX_VALUE);
    double topP = number(o, "top_p", 1.0, Double.MIN_VALUE, 1.0);
    List<String> stop = strings(o, "stop");
    long seed = integer(o, "seed", GenerateRequest.DEFAULT_SEED, Long.MIN_VALUE, Long.MAX_VALUE);
    boolean stopAtEos = bool(o, "stop_at_eos", true);
    boolean stream = bool(o, "stream", false);
    return new GenerateRequest(prompt, new GenerationConfig(temperature, topK, topP, maxNew, stop, stopAtEos, seed),
        stream);
  }

  /** The text of a {@code /v1/score} body. */
  static String score(byte[] body) {
    return text(object(body, SCORE_FIELDS), "text");
  }

  private static ObjectNode object(byte[] body, Set<String> fields) {
    if (body.length == 0) {
      throw new HttpError(400, "empty body: expected a JSON object");
    }
    JsonNode node;
    try {
      node = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new HttpError(400, "malformed JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new HttpError(400, "unreadable body: " + e.getMessage());
    }
    if (!(node instanceof ObjectNode o)) {
      throw new HttpError(400, "expected a JSON object, got " + kind(node));
    }
    Set<String> unknown = new TreeSet<>();
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!fields.contains(f)) {
        unknown.add(f);
      }
    }
    if (!unknown.isEmpty()) {
      throw new HttpError(400, "unknown field" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
          + "; accepted: " + new TreeSet<>(fields));
    }
    return o;
  }

  private static String text(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      throw new HttpError(400, "missing field " + field + " (a string)");
    }
    if (!v.isTextual()) {
      throw new HttpError(400, field + " must be a string, got " + kind(v));
    }
    if (v.textValue().isEmpty()) {
      throw new HttpError(400, field + " is empty");
    }
    return v.textValue();
  }

  private static long integer(ObjectNode o, String field, long dflt, long min, long max) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new HttpError(400, field + " must be an integer, got " + kind(v));
    }
    long x = v.longValue();
    if (x < min || x > max) {
      throw new HttpError(400, field + " must be in [" + min + ", " + max + "], got " + x);
    }
    return x;
  }

  private static double number(ObjectNode o, String field, double dflt, double min, double max) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isNumber()) {
      throw new HttpError(400, field + " must be a number, got " + kind(v));
    }
    double x = v.doubleValue();
    if (!(x >= min && x <= max)) {
      throw new HttpError(400, field + " must be in [" + (min == Double.MIN_VALUE ? "0 (excluded)" : min) + ", "
          + max + "], got " + x);
    }
    return x;
  }

  private static boolean bool(ObjectNode o, String field, boolean dflt) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return dflt;
    }
    if (!v.isBoolean()) {
      throw new HttpError(400, field + " must be true or false, got " + kind(v));
    }
    return v.booleanValue();
  }

  /** A string or a list of non-empty strings; absent means none. */
  private static List<String> strings(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    List<String> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (v.isTextual()) {
      out.add(v.textValue());
    } else if (v.isArray()) {
      for (JsonNode e : v) {
        if (!e.isTextual()) {
          throw new HttpError(400, field + " must be a string or a list of strings, got an element " + kind(e));
        }
        out.add(e.textValue());
      }
    } else {
      throw new HttpError(400, field + " must be a string or a list of strings, got " + kind(v));
    }
    if (out.stream().anyMatch(String::isEmpty)) {
      throw new HttpError(400, field + " must not hold an empty string");
    }
    return out;
  }

  private static String kind(JsonNode v) {
    String shown = v.toString();
    if (shown.length() > 40) {
      shown = shown.substring(0, 40) + "...";
    }
    return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + shown;
  }
}
