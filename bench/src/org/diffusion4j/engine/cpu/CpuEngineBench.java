package org.diffusion4j.engine.cpu;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.Presets;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Engine;
import org.diffusion4j.engine.Engines;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.engine.reference.ReferenceSamplers;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.NetworkInit;
import org.diffusion4j.process.Ddpm;
import org.diffusion4j.process.ForwardProcess;
import org.diffusion4j.sampler.SamplerSpec;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU engine on the unconditional presets, the workloads of {@code ReferenceEngineBench} and of the PyTorch peer
 * ({@code bench/peer/pytorch_presets.py}), reported as throughputs:
 * <ul>
 *   <li>{@code trainStep}: optimizer steps/s at the preset's batch (minibatch draw, noising, forward, loss, backward,
 *       Adam/AdamW) of the preset's first network;</li>
 *   <li>{@code sample}: sampling runs/s with the preset's process, sampler and network(s), and the secondary metric
 *       {@code particleSteps}: particle-steps/s (particles x updates per run, over time).</li>
 * </ul>
 * A sampling update costs the same at every step of a run, so a run may be shorter than the preset's and keep the
 * per-update throughput. With {@code particles = auto} and {@code steps = auto} every run has 10^5 particles and is
 * sized to take a few seconds at most at PyTorch's 2-core throughput (see {@link #workload}): fewer updates on the
 * preset's time grid (OU, Gaussian path; annealed Langevin with fewer steps per level, same rule and step size), and
 * for DDPM, which takes exactly T updates, the same network and update rule on a DDPM of the same schedule kind
 * with T' = updates (an update's cost does not depend on t). Override with e.g.
 * {@code -p particles=100000 -p steps=full}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class CpuEngineBench {

    @Param({"ou-halfcircles", "dsm-ring", "ddpm-ring", "flow-gmm11", "ddpm-spiral", "ddpm-swissroll"})
    public String preset;

    /** Particles per sampling run: a number, or auto (the table of {@link #workload}). */
    @Param({"auto"})
    public String particles;

    /** Updates per sampling run: a number, full (the preset's), or auto. DDPM always takes T. */
    @Param({"auto"})
    public String steps;

    private Engine engine;
    private Trainer trainer;
    private SamplingSetup sampling;
    private long particleStepsPerRun;

    /** Particle-steps done, reported by JMH per second next to the runs/s of {@code sample}. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Work {
        public long particleSteps;

        @Setup(Level.Iteration)
        public void reset() {
            particleSteps = 0;
        }
    }

    /**
     * The default run of a preset, {particles, updates}, and its time at PyTorch's 2-core throughput at 10^5
     * particles.
     */
    static int[] workload(String preset) {
        switch (preset) {
            case "ou-halfcircles":
                return new int[] {100_000, 4}; // 1.9 s
            case "dsm-ring":
                return new int[] {100_000, 10}; // 2.1 s
            case "ddpm-ring":
                return new int[] {100_000, 20}; // 2.0 s
            case "flow-gmm11":
                return new int[] {100_000, 4}; // 4.7 s, two networks per update
            case "ddpm-spiral":
                return new int[] {100_000, 4}; // 3.8 s
            case "ddpm-swissroll":
                return new int[] {100_000, 10}; // 1.9 s
            default:
                return new int[] {100_000, 10};
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        Preset p = Presets.byName(preset);
        engine = Engines.create("cpu");
        Preset.Net net = p.networks().get(0);
        Points data = Datasets.byName(p.dataset()).sample(p.dataSize(), 1);
        TrainingSetup setup = new TrainingSetup(net.spec(), p.process(), net.objective(), p.optimizer(), data, p.batchSize(), 1);
        trainer = engine.trainer(setup, NetworkInit.initialize(net.spec(), 1));

        int[] auto = workload(preset);
        int n = particles.equals("auto") ? auto[0] : Integer.parseInt(particles);
        int updates = steps.equals("auto") ? auto[1] : steps.equals("full") ? p.samplingSteps() : Integer.parseInt(steps);
        SamplerSpec sampler = p.sampler();
        ForwardProcess process = p.process();
        if (process instanceof Ddpm ddpm && updates != ddpm.steps()) {
            // the same network and update rule on T' = updates steps of the same schedule kind
            process = new Ddpm(ddpm.schedule(), updates);
        } else if (sampler instanceof SamplerSpec.AnnealedLangevin al && updates != p.samplingSteps()) {
            // same rule and step size, fewer steps per level (the preset has one level)
            sampler = new SamplerSpec.AnnealedLangevin(updates, al.stepSize());
        }
        List<ScoreSource.Network> nets = p.networks().stream()
                .map(x -> new ScoreSource.Network(x.spec(), NetworkInit.initialize(x.spec(), 2), x.objective().parameterization(), Condition.NONE))
                .toList();
        ScoreSource source = nets.size() == 1 ? nets.get(0) : new ScoreSource.FlowAndScore(nets.get(0), nets.get(1));
        sampling = new SamplingSetup(process, sampler, source, n, updates, 3);
        particleStepsPerRun = (long) n * ReferenceSamplers.totalUpdates(sampling);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (trainer != null) {
            trainer.close();
        }
        if (engine != null) {
            engine.close();
        }
    }

    /** One optimizer step: minibatch, noising, forward, loss, backward, Adam. */
    @Benchmark
    public double trainStep() {
        return trainer.step();
    }

    /** A whole sampling run: prior draw and every update. */
    @Benchmark
    public Samples sample(Work work) {
        Samples s = engine.sample(sampling);
        work.particleSteps += particleStepsPerRun;
        return s;
    }
}
