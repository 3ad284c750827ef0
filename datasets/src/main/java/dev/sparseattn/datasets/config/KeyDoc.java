package dev.sparseattn.datasets.config;

/**
 * One configuration key as a parser reads it, for {@code --help}.
 *
 * @param key the key relative to its job section ({@code seq-len}, {@code csv.window},
 *     {@code model.attention[].kind} for a key of every element of a list of sections)
 * @param kind its type and range, e.g. {@code integer in [8, 65536]} or {@code line | file | paragraph}
 * @param dflt its default rendered as HOCON, or {@code null} for a required key
 * @param required whether the key has no default
 */
public record KeyDoc(String key, String kind, String dflt, boolean required) {}
