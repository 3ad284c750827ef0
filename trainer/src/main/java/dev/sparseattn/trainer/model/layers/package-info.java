/**
 * Deeplearning4j layers of the transformer language model. Each layer is a configuration class (serialised in the
 * network's JSON), a runtime class with hand-written {@code activate}/{@code backpropGradient} built from
 * {@link dev.sparseattn.trainer.model.ops} and {@link dev.sparseattn.trainer.model.attention}, and a
 * {@link org.deeplearning4j.nn.api.ParamInitializer}. Activations between layers are {@code [batch, L, dModel]}
 * ({@link org.deeplearning4j.nn.conf.RNNFormat#NWC}).
 *
 * <p>Workspaces: outputs are created in {@code ArrayType.ACTIVATIONS} (forward) and {@code ACTIVATION_GRAD}
 * (backward); temporaries in the layer working memory; what backward needs is kept, during training only, in
 * the {@code ACTIVATIONS} workspace, which DL4J keeps open from the forward pass through backpropagation.
 */
package dev.sparseattn.trainer.model.layers;
