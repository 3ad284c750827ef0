package dev.sparseattn.datasets.tokenize;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.json} of Hugging Face tokenizers for a {@link BpeTokenizer}: no normalizer, a
 * ByteLevel pre-tokenizer (GPT-2's pattern, no prefix space), a BPE model (byte-level vocabulary,
 * merges as {@code "left right"} in rank order, no unknown token, no dropout), no post-processor, a
 * ByteLevel decoder, and PAD and EOS as special added tokens after the model's ids.
 */
final class HuggingFaceJson {
  private HuggingFaceJson() {}

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  static String write(BpeTokenizer t) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("version", "1.0");
    root.put("truncation", null);
    root.put("padding", null);
    root.put("added_tokens", List.of(addedToken(t.padId(), t.padToken()), addedToken(t.eosId(), t.eosToken())));
    root.put("normalizer", null);
    root.put("pre_tokenizer", byteLevel(false));
    root.put("post_processor", null);
    root.put("decoder", byteLevel(true));
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("type", "BPE");
    model.put("dropout", null);
    model.put("unk_token", null);
    model.put("continuing_subword_prefix", null);
    model.put("end_of_word_suffix", null);
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", false);
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (int id = 0; id < t.padId(); id++) {
      vocab.put(t.tokenString(id), id);
    }
    model.put("vocab", vocab);
    model.put("merges", t.mergeStrings());
    root.put("model", model);
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static BpeTokenizer read(String json) {
    try {
      JsonNode root = JSON.readTree(json);
      List<String> merges = new ArrayList<>();
      root.path("model").path("merges").forEach(m -> merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText()
          : m.asText()));
      JsonNode added = root.path("added_tokens");
      return BpeTokenizer.fromMergeStrings(merges, added.get(0).path("content").asText(),
          added.get(1).path("content").asText());
    } catch (JsonProcessingException | RuntimeException e) {
      throw new IllegalArgumentException("not a byte-level BPE tokenizer.json: " + e.getMessage(), e);
    }
  }

  private static Map<String, Object> addedToken(int id, String content) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("id", id);
    t.put("content", content);
    t.put("single_word", false);
    t.put("lstrip", false);
    t.put("rstrip", false);
    t.put("normalized", false);
    t.put("special", true);
    return t;
  }

  private static Map<String, Object> byteLevel(boolean decoder) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("type", "ByteLevel");
    p.put("add_prefix_space", decoder);
    p.put("trim_offsets", true);
    p.put("use_regex", true);
    return p;
  }
}
