package org.diffusion4j.testing;

/** Small run configs shared by the tests that train end to end. */
public final class TinyConfigs {
    private TinyConfigs() {
    }

    /**
     * DDPM on the ring, T = 20, a 16-wide network (well under a second on the cpu engine, a few seconds on the
     * reference engine), with the given name, engine, training steps, sampler and particle count.
     */
    public static String ddpmRing(String name, String engine, int trainingSteps, String sampler, int particles) {
        return """
                name = "%s"
                engine = "%s"
                [data]
                name = "ring"
                size = 400
                seed = 3
                [process]
                kind = "ddpm"
                steps = 20
                beta_start = 1e-3
                beta_end = 0.3
                [[network]]
                role = "eps"
                objective = "epsilon-mse"
                activation = "relu"
                time = { kind = "table", steps = 20, dim = 4 }
                body = { kind = "plain", hidden = [16, 16] }
                [optimizer]
                kind = "adam"
                lr = 1e-2
                [training]
                batch_size = 32
                steps = %d
                seed = 3
                [sampling]
                sampler = "%s"
                steps = 20
                particles = %d
                seed = 4
                """.formatted(name, engine, trainingSteps, sampler, particles);
    }
}
