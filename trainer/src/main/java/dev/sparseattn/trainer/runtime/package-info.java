/**
 * How a process that runs the model sets up its native backend before ND4J loads
 * ({@link dev.sparseattn.trainer.runtime.NativeThreads}). Knows nothing of Spark or of the model.
 */
package dev.sparseattn.trainer.runtime;
