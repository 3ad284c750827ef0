/**
 * A small causal transformer language model (GPT-2 style, nanoGPT-sized) for Deeplearning4j, built from custom
 * layers with hand-written forward and backward passes. Entry points: {@link dev.sparseattn.trainer.model.network.TransformerConfig}
 * and {@link dev.sparseattn.trainer.model.TransformerLM}. The model knows nothing about how it is trained.
 */
package dev.sparseattn.trainer.model;
