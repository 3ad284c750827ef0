/**
 * How a process that runs the model sets up its native backend before ND4J loads
 * ({@link dev.sparseattn.trainer.runtime.NativeThreads}), and what Spark jobs give their executor JVMs
 * ({@link dev.sparseattn.trainer.runtime.ExecutorDefaults}). Knows nothing of Spark or of the model.
 */
package dev.sparseattn.trainer.runtime;
