/**
 * Forecast evaluation for time series on plain {@code double[]} series with missing values (NaN):
 * MAE, MASE (Hyndman and Koehler 2006) and Chronos' weighted quantile loss (Ansari et al. 2024) per
 * variable and horizon step in original units, the persistence, seasonal naive and seasonal naive +
 * trend baselines with Gaussian quantiles, and Chronos' aggregation (relative to seasonal naive,
 * geometric mean across series).
 */
package dev.sparseattn.trainer.eval.forecast;
