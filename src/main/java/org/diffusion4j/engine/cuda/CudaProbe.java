package org.diffusion4j.engine.cuda;

import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

/**
 * Finds out once, without ever throwing, whether a CUDA driver and device are present. JCuda throws
 * {@link UnsatisfiedLinkError} (an Error) when {@code libcuda.so.1} is missing, so every Throwable is caught
 * and turned into a one-line reason; the answer is cached for the life of the JVM.
 */
public final class CudaProbe {

    /** What the probe found: whether a device is usable, and a one-line description or reason. */
    public record Result(boolean available, String detail, int driverVersion, String deviceName) {

        /**
         * Whether the device is the project's simulated GPU (native-tests/sim), which runs the kernels on the CPU to
         * check them: its times are not GPU times, and {@code auto} does not pick it.
         */
        public boolean simulated() {
            return available && CudaProbe.isSimulated(deviceName);
        }
    }

    /** The simulated GPU names itself so (native-tests/sim: "diffusion4j simulated GPU (H200 profile)"). */
    static final String SIMULATED_MARK = "simulated GPU";

    /** Whether a device name is the simulated GPU's. */
    public static boolean isSimulated(String deviceName) {
        return deviceName != null && deviceName.contains(SIMULATED_MARK);
    }

    /** What a simulated device means, in one line (for info, the cuda engine and bench). */
    public static final String SIMULATED_NOTE = "a simulated GPU (native-tests/sim): the kernels run on the CPU to be checked,"
            + " not for speed, and its times are not GPU times";

    private static volatile Result cached;

    private CudaProbe() {
    }

    public static Result probe() {
        Result r = cached;
        if (r == null) {
            synchronized (CudaProbe.class) {
                r = cached;
                if (r == null) {
                    r = run();
                    cached = r;
                }
            }
        }
        return r;
    }

    private static Result run() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
            JCudaDriver.cuInit(0);
            int[] version = new int[1];
            JCudaDriver.cuDriverGetVersion(version);
            int[] count = new int[1];
            JCudaDriver.cuDeviceGetCount(count);
            if (count[0] == 0) {
                return new Result(false, "the CUDA driver " + versionString(version[0]) + " finds no GPU", version[0], null);
            }
            CUdevice device = new CUdevice();
            JCudaDriver.cuDeviceGet(device, 0);
            byte[] name = new byte[256];
            JCudaDriver.cuDeviceGetName(name, name.length, device);
            String deviceName = new String(name, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
            return new Result(true, deviceName + ", driver " + versionString(version[0]), version[0], deviceName);
        } catch (UnsatisfiedLinkError e) {
            return new Result(false, "no CUDA driver found (libcuda.so.1 could not be loaded)", 0, null);
        } catch (Throwable e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            return new Result(false, "CUDA is not usable: " + msg, 0, null);
        }
    }

    /** A driver version such as 12080 as "12.8". */
    public static String versionString(int version) {
        return (version / 1000) + "." + (version % 1000) / 10;
    }

    /** Whether a native library of an optional JCuda module (JCublas, JCurand) loads here; one line either way. */
    public static String optionalLibrary(String name, Runnable initializer) {
        try {
            initializer.run();
            return name + ": loads";
        } catch (Throwable e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            return name + ": does not load (" + msg + ")";
        }
    }
}
