package org.diffusion4j.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.RunConfig;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainerState;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.NetworkInit;

/**
 * Training every network of a config in turn on an engine, with the config's regimen (learning-rate schedule,
 * gradient clipping, EMA of the weights), periodic training states, a stop on request and continuation from a state.
 *
 * <p>Seeds: the data come from {@code data.seed}; every network trains from {@code training.seed} (initial weights and
 * minibatch stream). The same config on the same engine gives the same parameters bit for bit, and so does a run
 * continued from a {@link TrainingState}: the state holds the parameters, Adam's moments, the EMA, the step (which is
 * the position in the counter-based minibatch stream) and the loss history.
 */
public final class Training {

    /**
     * Optimizer steps between two progress updates: the cuda engine runs them without waiting and reads their losses in
     * one copy (a run also ends at a state to write and at a stop).
     */
    private static final int STEPS_PER_READ = 50;

    private Training() {
    }

    /**
     * Parameters, EMA parameters (null entries without EMA) and per-step minibatch losses of every network (by role), in
     * config order, the training seconds, and the trainer state of the last network (to stop after training).
     */
    public record Result(RunConfig config, List<float[]> parameters, List<float[]> ema, Map<String, double[]> losses, double seconds,
                         TrainerState last) {
        /** Whether the networks kept an EMA of their weights. */
        public boolean hasEma() {
            return ema.stream().allMatch(e -> e != null) && !ema.isEmpty();
        }

        /** The trained model: with the EMA weights where the regimen kept them, else the raw weights. */
        public Model model() {
            return hasEma() ? new Model(config, ema) : rawModel();
        }

        /** The trained model with the raw (optimizer's) weights. */
        public Model rawModel() {
            return new Model(config, parameters);
        }
    }

    /**
     * Where training states go and when training stops: every {@code training.checkpoint_every} steps and on a stop, a
     * state file is written into {@code stateFolder} (the last {@code training.keep_checkpoints} are kept); {@code stop}
     * is asked after every step; {@code resume} is a state to continue from (null: from the start).
     */
    public record Options(Path stateFolder, TrainingState resume, BooleanSupplier stop) {
        /** No states, no stop, from the start. */
        public static final Options NONE = new Options(null, null, () -> false);
    }

    /** Training stopped on request after writing the state it can continue from. */
    public static final class Stopped extends RuntimeException {
        private final transient Path state;
        private final String role;
        private final int step;

        Stopped(Path state, String role, int step) {
            super("training stopped at step " + step + " of " + role + "; state written to " + state);
            this.state = state;
            this.role = role;
            this.step = step;
        }

        /** The state file written. */
        public Path state() {
            return state;
        }

        /** The network in training. */
        public String role() {
            return role;
        }

        /** Its steps done. */
        public int step() {
            return step;
        }
    }

    /** Trains each network of the config in turn, reporting progress and one line per network. */
    public static Result train(Engine engine, RunConfig c, Reporter reporter) {
        return train(engine, c, Options.NONE, reporter);
    }

    /**
     * Trains each network of the config in turn (continuing from {@code options.resume()} when given), writing training
     * states as {@code options} says; throws {@link Stopped} after writing a state when {@code options.stop()} turns true.
     */
    public static Result train(Engine engine, RunConfig c, Options options, Reporter reporter) {
        TrainingState resume = options.resume();
        if (resume != null && !resume.config().equals(c)) {
            throw new IllegalArgumentException("--resume: the state belongs to another config");
        }
        if (resume != null && !resume.engine().equals(engine.name())) {
            throw new IllegalArgumentException("--resume: the state was trained on the " + resume.engine() + " engine; continue it there"
                    + " (a bit-identical continuation needs the same engine)");
        }
        Points data = c.data().points();
        List<float[]> params = new ArrayList<>();
        List<float[]> emas = new ArrayList<>();
        Map<String, double[]> losses = new LinkedHashMap<>();
        int first = resume == null ? 0 : resume.network();
        for (int i = 0; i < first; i++) {
            params.add(TrainerState.floats(resume.doneParameters().get(i)));
            double[] e = resume.doneEma().get(i);
            emas.add(e == null ? null : TrainerState.floats(e));
            String role = c.networks().get(i).role();
            losses.put(role, resume.losses().get(role));
        }
        double before = resume == null ? 0 : resume.seconds();
        long t0 = System.nanoTime();
        int steps = c.training().steps();
        int every = c.training().checkpointEvery();
        TrainerState last = null;
        for (int i = first; i < c.networks().size(); i++) {
            Preset.Net net = c.networks().get(i);
            TrainingSetup setup = new TrainingSetup(net.spec(), c.process(), net.objective(), c.optimizer(), data, c.training().batchSize(),
                    c.training().seed(), net.spec().isConditional() ? c.training().labelDropout() : 0.0, c.training().regimen());
            double[] loss = new double[steps];
            try (Trainer trainer = engine.trainer(setup, NetworkInit.initialize(net.spec(), c.training().seed()));
                 Reporter.Task progress = reporter.start("train " + net.role(), "steps", steps)) {
                int k0 = 0;
                if (resume != null && i == first) {
                    trainer.restore(resume.current());
                    k0 = resume.step();
                    System.arraycopy(resume.losses().get(net.role()), 0, loss, 0, k0);
                    progress.update(k0, steps);
                }
                int noteEvery = Math.max(1, steps / 200);
                boolean states = options.stateFolder() != null;
                // the stop is asked after every step (where states are written), its answer kept for after the run
                boolean[] stopAsked = new boolean[1];
                BooleanSupplier stopQuery = states ? () -> stopAsked[0] = options.stop().getAsBoolean() : () -> false;
                int k = k0;
                while (k < steps) {
                    // a run of steps ends at the next state to write, so that the state is the one of its step
                    int run = Math.min(STEPS_PER_READ, steps - k);
                    if (states && every > 0) {
                        run = Math.min(run, every - k % every);
                    }
                    int done = k + trainer.steps(loss, k, run, stopQuery);
                    boolean stop = stopAsked[0];
                    if (done / noteEvery > k / noteEvery || done == steps) {
                        progress.note(String.format(Locale.ROOT, "loss %.4g", runningLoss(loss, done)));
                    }
                    progress.update(done, steps);
                    k = done;
                    if (stop || states && every > 0 && done % every == 0 && done < steps) {
                        Map<String, double[]> so = new LinkedHashMap<>(losses);
                        so.put(net.role(), java.util.Arrays.copyOf(loss, done));
                        TrainingState state = new TrainingState(c, engine.name(), i, doubles(params), doubles(emas), trainer.state(), so,
                                before + (System.nanoTime() - t0) / 1e9);
                        Path file = writeState(options.stateFolder(), state, c.training().keepCheckpoints());
                        if (stop) {
                            throw new Stopped(file, net.role(), done);
                        }
                    }
                }
                params.add(trainer.parameters());
                emas.add(trainer.emaParameters());
                if (i == c.networks().size() - 1) {
                    last = trainer.state();
                }
            }
            losses.put(net.role(), loss);
            reporter.info(String.format("trained %s (%s): %d steps, final loss %.5g", net.role(), net.objective().name(), steps, finalLoss(loss)));
        }
        return new Result(c, params, emas, losses, before + (System.nanoTime() - t0) / 1e9, last);
    }

    /**
     * Stops after training when asked: writes the state of the finished training (continuing it trains no more and goes
     * on to sampling) into the options' folder and throws {@link Stopped}. Does nothing when no stop is asked.
     */
    public static void stopIfAsked(Result r, String engine, Options options) {
        if (options.stateFolder() == null || !options.stop().getAsBoolean()) {
            return;
        }
        RunConfig c = r.config();
        int lastNet = c.networks().size() - 1;
        TrainingState state = new TrainingState(c, engine, lastNet, doubles(r.parameters().subList(0, lastNet)),
                doubles(r.ema().subList(0, lastNet)), r.last(), r.losses(), r.seconds());
        Path file = writeState(options.stateFolder(), state, c.training().keepCheckpoints());
        throw new Stopped(file, state.role(), state.step());
    }

    private static List<double[]> doubles(List<float[]> fs) {
        List<double[]> out = new ArrayList<>();
        for (float[] f : fs) {
            out.add(f == null ? null : TrainerState.doubles(f));
        }
        return out;
    }

    /** The name of a state file: network index, role and step, zero-padded so that names sort in training order. */
    static String stateName(TrainingState s) {
        return String.format(Locale.ROOT, "state-%d-%s-%09d.safetensors", s.network(), s.role(), s.step());
    }

    /** Writes a state into the folder and deletes all but the newest {@code keep} states there. */
    static Path writeState(Path folder, TrainingState state, int keep) {
        Path file = folder.resolve(stateName(state));
        state.write(file);
        List<Path> all = states(folder);
        for (int j = 0; j < all.size() - keep; j++) {
            try {
                Files.deleteIfExists(all.get(j));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete the old training state " + all.get(j) + ": " + e.getMessage(), e);
            }
        }
        return file;
    }

    /** The state files of a folder, oldest first (empty when there is no folder). */
    public static List<Path> states(Path folder) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith("state-") && n.endsWith(".safetensors");
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder + ": " + e.getMessage(), e);
        }
    }

    /** Steps the running loss of the progress report averages. */
    public static final int RUNNING_LOSS_STEPS = 100;

    /** The mean of the last (up to) {@link #RUNNING_LOSS_STEPS} of the first {@code done} losses. */
    static double runningLoss(double[] loss, int done) {
        int from = Math.max(0, done - RUNNING_LOSS_STEPS);
        double s = 0;
        for (int i = from; i < done; i++) {
            s += loss[i];
        }
        return s / (done - from);
    }

    /** Mean of the last 1% of the losses (at least the last one). */
    public static double finalLoss(double[] loss) {
        int k = Math.max(1, loss.length / 100);
        double s = 0;
        for (int i = loss.length - k; i < loss.length; i++) {
            s += loss[i];
        }
        return s / k;
    }
}
