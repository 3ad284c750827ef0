package dev.sparseattn.trainer.eval.series;

import java.time.LocalDateTime;

/**
 * One series of a CSV dataset in original units, on its regular time grid (missing steps are gap steps, every value
 * NaN).
 *
 * @param id        the series column's value ("" without a series column)
 * @param times     the time of every step // [steps]
 * @param variables the value columns
 * @param values    interleaved: {@code values[t * V + v]}, NaN where missing // [steps * V]
 */
public record Series(String id, LocalDateTime[] times, String[] variables, double[] values) {

    /** Number of time steps. */
    public int steps() {
        return times.length;
    }

    /** One variable's values // [steps]. */
    public double[] variable(int v) {
        int n = variables.length;
        double[] out = new double[steps()];
        for (int t = 0; t < out.length; t++) {
            out[t] = values[t * n + v];
        }
        return out;
    }
}
