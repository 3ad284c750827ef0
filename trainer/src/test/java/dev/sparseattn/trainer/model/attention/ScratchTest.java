package dev.sparseattn.trainer.model.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The per-thread scratch buffers: reused per slot, grown on demand, per data type, separate per slot and thread. */
class ScratchTest {

    @Test
    void aSlotReusesItsBufferAndGrowsOnDemand() {
        INDArray small = Scratch.get(Scratch.Slot.SCORES, DataType.FLOAT, 2, 3);
        assertArrayEquals(new long[] {2, 3}, small.shape());
        INDArray again = Scratch.get(Scratch.Slot.SCORES, DataType.FLOAT, 3, 2);
        assertSame(small.data(), again.data(), "same slot, no larger: the same buffer");

        INDArray other = Scratch.get(Scratch.Slot.ROWS, DataType.FLOAT, 2, 3);
        assertNotSame(small.data(), other.data(), "another slot has its own buffer");

        INDArray larger = Scratch.get(Scratch.Slot.SCORES, DataType.FLOAT, 1000);
        assertEquals(1000, larger.length());
        assertNotSame(small.data(), larger.data(), "a larger request grows the buffer");
        assertSame(larger.data(), Scratch.get(Scratch.Slot.SCORES, DataType.FLOAT, 10).data(), "and keeps it");

        INDArray doubles = Scratch.get(Scratch.Slot.SCORES, DataType.DOUBLE, 10);
        assertEquals(DataType.DOUBLE, doubles.dataType(), "another data type: a buffer of that type");

        Scratch.release(Scratch.Slot.SCORES);
        assertTrue(doubles.wasClosed(), "released");
        assertEquals(10, Scratch.get(Scratch.Slot.SCORES, DataType.DOUBLE, 10).length(), "and allocated again");
    }

    @Test
    void threadsHaveTheirOwnBuffers() throws Exception {
        INDArray mine = Scratch.get(Scratch.Slot.GATHERED, DataType.FLOAT, 16);
        INDArray theirs = CompletableFuture.supplyAsync(() -> Scratch.get(Scratch.Slot.GATHERED, DataType.FLOAT, 16))
                .get();
        assertNotSame(mine.data(), theirs.data());
        mine.assign(1.0);
        assertEquals(16.0, mine.sumNumber().doubleValue(), 0.0);
    }
}
