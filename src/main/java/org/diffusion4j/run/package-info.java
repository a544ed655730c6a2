/**
 * diffusion4j as a library: train a config ({@link org.diffusion4j.run.Training}), sample a trained model
 * ({@link org.diffusion4j.run.Sampling}, {@link org.diffusion4j.run.Model}), measure samples
 * ({@link org.diffusion4j.run.Evaluation}), and read and write run folders ({@link org.diffusion4j.run.RunFiles},
 * {@link org.diffusion4j.run.RunFolder}, {@link org.diffusion4j.run.RunFigures}); {@link org.diffusion4j.run.TrainRun}
 * does all of it as {@code train} does. The command line is a thin layer over this package: what it prints comes
 * through a {@link org.diffusion4j.run.Reporter}.
 *
 * <pre>{@code
 * RunConfig c = RunConfig.fromPreset(Presets.byName("ddpm-ring"), 42).withTrainingSteps(2000);
 * try (Engine engine = Engines.create("auto")) {
 *     Training.Result trained = Training.train(engine, c, Reporter.SILENT);
 *     Samples samples = Sampling.sample(engine, trained.model(), Reporter.SILENT);
 *     Map<String, Object> m = Evaluation.distances(c.data().name(), samples.xy(), c.sampling().seed());
 * }
 * }</pre>
 */
package org.diffusion4j.run;
