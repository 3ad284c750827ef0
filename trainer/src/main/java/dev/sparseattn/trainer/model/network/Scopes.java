package dev.sparseattn.trainer.model.network;

import dev.sparseattn.trainer.model.ops.Alloc;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J workspaces of the language model layer. Temporaries of one block (or one row chunk) are allocated in a workspace scope
 * that is closed, and its memory reused, before the next block starts: this is what keeps memory flat in depth.
 * Arrays that must outlive such a scope are allocated through {@link #here} before it is opened.
 */
final class Scopes {

    /** Everything one call of the layer allocates (activations a backward needs, residual buffers). */
    static final String CALL = "SPARSEATTN_REV_CALL";
    /** One block's working memory. */
    static final String BLOCK = "SPARSEATTN_REV_BLOCK";
    /** One row chunk's working memory (feed-forward or loss), nested inside a block scope or on its own. */
    static final String CHUNK = "SPARSEATTN_REV_CHUNK";

    /** Like DL4J's layer working memory: learns its size over the first cycles, then reuses one buffer. */
    private static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder()
            .initialSize(0)
            .overallocationLimit(0.02)
            .policyLearning(LearningPolicy.OVER_TIME)
            .cyclesBeforeInitialization(2)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .build();

    private Scopes() {
    }

    /** Opens (and makes current) the scope {@code id}; closing it releases everything allocated inside. */
    static MemoryWorkspace open(String id) {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, id);
    }

    /**
     * Allocation in the workspace that is current now (detached if none), usable later from inside nested scopes:
     * for arrays that must outlive the scopes opened after this call.
     */
    @SuppressWarnings("try")
    static Alloc here(DataType type) {
        MemoryWorkspace outer = Nd4j.getMemoryManager().getCurrentWorkspace();
        return shape -> {
            try (MemoryWorkspace ignored = outer == null ? Nd4j.getMemoryManager().scopeOutOfWorkspaces()
                    : outer.notifyScopeBorrowed()) {
                return Nd4j.createUninitialized(type, shape, 'c');
            }
        };
    }

    /** A copy outside any workspace (null for null). */
    @SuppressWarnings("try")
    static INDArray detachedCopy(INDArray x) {
        if (x == null) {
            return null;
        }
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            return x.dup('c');
        }
    }
}
