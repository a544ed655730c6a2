package org.diffusion4j.engine.reference;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.diffusion4j.config.Preset;
import org.diffusion4j.config.Presets;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Points;
import org.diffusion4j.engine.Samples;
import org.diffusion4j.engine.SamplingSetup;
import org.diffusion4j.engine.ScoreSource;
import org.diffusion4j.engine.Trainer;
import org.diffusion4j.engine.TrainingSetup;
import org.diffusion4j.model.Condition;
import org.diffusion4j.model.NetworkInit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The reference engine on the unconditional presets: one optimizer step at the preset's batch, and one full sampling
 * run of {@link #PARTICLES} particles with the preset's sampler and step count. It is the double-precision oracle, so
 * these figures are the baseline the fast engines are compared with, not a target.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class ReferenceEngineBench {

    /** Particles per sampling run (small: the reference evaluates the network with Commons Math matrices). */
    public static final int PARTICLES = 200;

    @Param({"ou-halfcircles", "dsm-ring", "ddpm-ring", "flow-gmm11", "ddpm-spiral", "ddpm-swissroll"})
    public String preset;

    private Trainer trainer;
    private SamplingSetup sampling;
    private final ReferenceEngine engine = new ReferenceEngine();

    @Setup
    public void setUp() {
        Preset p = Presets.byName(preset);
        Preset.Net net = p.networks().get(0);
        Points data = Datasets.byName(p.dataset()).sample(p.dataSize(), 1);
        TrainingSetup setup = new TrainingSetup(net.spec(), p.process(), net.objective(), p.optimizer(), data, p.batchSize(), 1);
        trainer = engine.trainer(setup, NetworkInit.initialize(net.spec(), 1));
        List<ScoreSource.Network> nets = p.networks().stream()
                .map(n -> new ScoreSource.Network(n.spec(), NetworkInit.initialize(n.spec(), 2), n.objective().parameterization(), Condition.NONE))
                .toList();
        ScoreSource source = nets.size() == 1 ? nets.get(0) : new ScoreSource.FlowAndScore(nets.get(0), nets.get(1));
        sampling = new SamplingSetup(p.process(), p.sampler(), source, PARTICLES, p.samplingSteps(), 3);
    }

    /** One optimizer step: minibatch, noising, forward, loss, backward, Adam. */
    @Benchmark
    public double trainStep() {
        return trainer.step();
    }

    /** A whole sampling run: prior draw and every reverse step. */
    @Benchmark
    public Samples sample() {
        return engine.sample(sampling);
    }
}
