package dev.sparseattn.trainer.recipes;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparseattn.datasets.config.JobArgs;
import dev.sparseattn.datasets.testdata.RealData;
import dev.sparseattn.pipeline.PrepareConfig;
import dev.sparseattn.pipeline.PrepareCorpus;
import dev.sparseattn.trainer.eval.Evaluate;
import dev.sparseattn.trainer.eval.EvaluateConfig;
import dev.sparseattn.trainer.eval.series.SeriesEvaluate;
import dev.sparseattn.trainer.eval.series.SeriesEvaluation;
import dev.sparseattn.trainer.train.Train;
import dev.sparseattn.trainer.train.TrainConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI's tiny climate recipe, end to end on the whole Mauna Loa CO2 series in {@code ../shared/data}: the real prepare
 * job (Spark local mode) with {@code conf/climate-co2.conf}, a short training run of its model, and {@code Evaluate}'s
 * rolling-origin one-month-ahead forecasts of the 60 held-out months. Fails unless the model's MAE beats
 * persistence's, the simplest baseline, on the held-out data.
 */
@Tag("shared-data")
class ClimateRecipeCiTest {
    @TempDir Path tmp;

    @Test
    void tinyCo2RecipeBeatsPersistence() throws Exception {
        Path csv = RealData.CO2.shared();
        Path conf = Path.of(System.getProperty("project.root.dir", ".."), "conf", "climate-co2.conf");
        String data = tmp.resolve("data").toUri().toString();
        String model = tmp.resolve("model").toString();
        List<String> args = new ArrayList<>(List.of(conf.toString(), "prepare.input=[\"" + csv.toUri() + "\"]",
                "prepare.output=\"" + data + "\"", "prepare.spark.master=\"local[2]\"", "train.output=\"" + model + "\"",
                "train.steps=" + Integer.getInteger("ci.climate.steps", 150), "train.eval-every=150",
                "evaluate.output=\"" + tmp.resolve("evaluation") + "\"", "evaluate.forecast.samples=10"));
        PrepareCorpus.run(PrepareConfig.parse(JobArgs.load(args.toArray(String[]::new))));
        Train.run(TrainConfig.parse(JobArgs.load(args.toArray(String[]::new))));
        SeriesEvaluation e = Evaluate.runSeries(EvaluateConfig.parse(JobArgs.load(args.toArray(String[]::new))));
        double modelMae = e.mae(SeriesEvaluate.MODEL, "CO2", 1);
        double persistence = e.mae("persistence", "CO2", 1);
        System.out.printf("ClimateRecipeCiTest: CO2 1-month-ahead MAE: model %.3f, persistence %.3f ppm%n", modelMae,
                persistence);
        System.out.print(e.toMarkdown());
        assertTrue(modelMae < persistence, "the model's held-out MAE " + modelMae + " ppm does not beat persistence's "
                + persistence + " ppm");
    }
}
