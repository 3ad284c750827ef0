/**
 * Probabilistic forecasts of time series with a trained model, Spark-free: {@link
 * dev.sparseattn.trainer.forecast.Forecaster} scales a context as the time-series tokenizer does (Chronos, Ansari et
 * al. 2024), samples future paths on the incremental {@link dev.sparseattn.trainer.generate.DecodeEngine} and returns
 * them in original units with their median and quantiles ({@link dev.sparseattn.trainer.forecast.Forecast}). The one
 * implementation that {@code Evaluate} and the Spark {@code Forecast} job use.
 */
package dev.sparseattn.trainer.forecast;
