package org.diffusion4j.process;

import java.util.List;

/** Forward processes and beta schedules by config name, with the source documents' parameters as defaults. */
public final class Processes {

    /** Process names accepted in configs. */
    public static final List<String> NAMES = List.of("ou", "ddpm", "gaussian-path", "noise-levels");
    /** Beta schedule names accepted in configs. */
    public static final List<String> SCHEDULES = List.of("linear", "cosine");

    private Processes() {
    }

    /**
     * The process of a name with its document's parameters: ou (000), ddpm (001: T = 200, linear 1e-4 .. 0.02),
     * gaussian-path (002), noise-levels (10 levels from 10 to 0.01, prior std 10).
     */
    public static ForwardProcess byName(String name) {
        switch (name == null ? "" : name) {
            case "ou":
                return OrnsteinUhlenbeck.document000();
            case "ddpm":
                return Ddpm.linear(200, 1e-4, 0.02);
            case "gaussian-path":
                return GaussianPath.document002();
            case "noise-levels":
                return new NoiseLevels(10.0, 0.01, 10, 10.0);
            default:
                throw new IllegalArgumentException("process: unknown process '" + name + "', allowed: " + String.join(", ", NAMES));
        }
    }

    /** A DDPM beta schedule by name: linear from {@code start} to {@code end}, or cosine (offset 0.008, max beta 0.999). */
    public static BetaSchedule schedule(String name, double start, double end) {
        switch (name == null ? "" : name) {
            case "linear":
                return new BetaSchedule.Linear(start, end);
            case "cosine":
                return BetaSchedule.Cosine.standard();
            default:
                throw new IllegalArgumentException("process.schedule: unknown schedule '" + name + "', allowed: " + String.join(", ", SCHEDULES));
        }
    }
}
