package dev.sparseattn.trainer.model.network;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Row ranges {@code [start, end)} of {@code n} rows in chunks of {@code size} rows (0 = one chunk of all rows). */
record RowChunks(long n, long size) {

    RowChunks {
        size = size <= 0 || size > n ? n : size;
    }

    int count() {
        return (int) ((n + size - 1) / size);
    }

    long start(int chunk) {
        return chunk * size;
    }

    long end(int chunk) {
        return Math.min(n, (chunk + 1) * size);
    }

    /** Rows of chunk {@code chunk} of a c-ordered {@code [n, k]} matrix: a contiguous view. */
    INDArray rows(INDArray x, int chunk) {
        if (count() == 1) {
            return x;
        }
        return x.get(NDArrayIndex.interval(start(chunk), end(chunk)), NDArrayIndex.all());
    }
}
