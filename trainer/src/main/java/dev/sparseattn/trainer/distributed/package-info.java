/**
 * Distributed training on Spark by synchronous parameter averaging, built on Spark's own primitives
 * (broadcast, one task per worker, results added in worker order) with the same DL4J network the local trainer
 * uses: {@link dev.sparseattn.trainer.distributed.DistributedTrain} (the job),
 * {@link dev.sparseattn.trainer.distributed.ParameterAveragingTrainer} (the driver loop),
 * {@link dev.sparseattn.trainer.distributed.LocalSteps} (a worker's round) and
 * {@link dev.sparseattn.trainer.distributed.ShardAssignment} (who reads which shards).
 *
 * <p>References: R. McDonald, K. Hall, G. Mann, "Distributed training strategies for the structured
 * perceptron", NAACL 2010 (iterative parameter mixing); M. Zinkevich, M. Weimer, A. Smola, L. Li,
 * "Parallelized stochastic gradient descent", NIPS 2010; S. Zhang, A. Choromanska, Y. LeCun, "Deep
 * learning with elastic averaging SGD", NIPS 2015 (synchronous averaging as the baseline); DL4J's
 * "Distributed training with Spark" guide and {@code ParameterAveragingTrainingMaster}, whose
 * {@code TestCompareParameterAveragingSparkVsSingleMachine} the tests here follow; A. Douillard et al.,
 * "DiLoCo: Distributed Low-Communication Training of Language Models", 2023, and S. U. Stich, "Local SGD
 * converges fast and communicates little", ICLR 2019 (optimiser state kept on the workers between
 * averagings, {@code distributed.state-sync-every}).
 */
package dev.sparseattn.trainer.distributed;
