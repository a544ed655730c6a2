package org.diffusion4j.engine.cuda;

import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.CudaException;

/**
 * Turns the exceptions of JCuda (a {@link CudaException} whose message is the driver's result code, such as
 * {@code CUDA_ERROR_ILLEGAL_ADDRESS}) into one-line messages that name the operation and say what the code means:
 * {@code engine: cuda: <what> failed: an illegal memory access (CUDA_ERROR_ILLEGAL_ADDRESS); ...}.
 */
public final class CudaErrors {

    private static final Pattern CODE = Pattern.compile("CUDA_ERROR_[A-Z0-9_]+");

    /** What the common result codes mean, in words. */
    private static final Map<String, String> MEANINGS = Map.ofEntries(
            Map.entry("CUDA_ERROR_INVALID_VALUE", "an invalid argument"),
            Map.entry("CUDA_ERROR_OUT_OF_MEMORY", "out of GPU memory"),
            Map.entry("CUDA_ERROR_NOT_INITIALIZED", "the driver is not initialized"),
            Map.entry("CUDA_ERROR_DEINITIALIZED", "the driver is shutting down"),
            Map.entry("CUDA_ERROR_NO_DEVICE", "no GPU found"),
            Map.entry("CUDA_ERROR_INVALID_DEVICE", "an invalid device"),
            Map.entry("CUDA_ERROR_INVALID_IMAGE", "the kernel image is invalid"),
            Map.entry("CUDA_ERROR_INVALID_CONTEXT", "no valid CUDA context is current on this thread"),
            Map.entry("CUDA_ERROR_NO_BINARY_FOR_GPU", "the kernels hold no code for this GPU"),
            Map.entry("CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "the kernels' PTX needs a newer driver"),
            Map.entry("CUDA_ERROR_INVALID_PTX", "the kernels' PTX does not compile for this GPU"),
            Map.entry("CUDA_ERROR_JIT_COMPILER_NOT_FOUND", "the driver's PTX JIT compiler is missing"),
            Map.entry("CUDA_ERROR_NOT_FOUND", "a named kernel or symbol was not found"),
            Map.entry("CUDA_ERROR_INVALID_HANDLE", "an invalid handle (a freed buffer, an unloaded module?)"),
            Map.entry("CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access in a kernel"),
            Map.entry("CUDA_ERROR_MISALIGNED_ADDRESS", "a misaligned memory access in a kernel"),
            Map.entry("CUDA_ERROR_ILLEGAL_INSTRUCTION", "an illegal instruction in a kernel"),
            Map.entry("CUDA_ERROR_INVALID_ADDRESS_SPACE", "an invalid address space in a kernel"),
            Map.entry("CUDA_ERROR_INVALID_PC", "an invalid program counter in a kernel"),
            Map.entry("CUDA_ERROR_HARDWARE_STACK_ERROR", "a stack overflow in a kernel"),
            Map.entry("CUDA_ERROR_ASSERT", "a device-side assert fired"),
            Map.entry("CUDA_ERROR_LAUNCH_FAILED", "a kernel failed (unspecified launch failure)"),
            Map.entry("CUDA_ERROR_LAUNCH_TIMEOUT", "a kernel ran past the watchdog timeout"),
            Map.entry("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for the launch (registers, threads)"),
            Map.entry("CUDA_ERROR_ECC_UNCORRECTABLE", "an uncorrectable ECC error"),
            Map.entry("CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY", "an unsupported execution affinity"),
            Map.entry("CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", "the kernel driver and the CUDA driver library disagree"),
            Map.entry("CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", "forward compatibility is not supported on this GPU"),
            Map.entry("CUDA_ERROR_DEVICE_UNAVAILABLE", "the GPU is busy or unavailable (exclusive compute mode?)"),
            Map.entry("CUDA_ERROR_OPERATING_SYSTEM", "an operating-system call failed"),
            Map.entry("CUDA_ERROR_UNKNOWN", "an unknown error"));

    /** Codes after which the context is corrupt: every later call fails the same way until it is destroyed. */
    private static final Set<String> STICKY = Set.of("CUDA_ERROR_ILLEGAL_ADDRESS", "CUDA_ERROR_MISALIGNED_ADDRESS",
            "CUDA_ERROR_ILLEGAL_INSTRUCTION", "CUDA_ERROR_INVALID_ADDRESS_SPACE", "CUDA_ERROR_INVALID_PC",
            "CUDA_ERROR_HARDWARE_STACK_ERROR", "CUDA_ERROR_ASSERT", "CUDA_ERROR_LAUNCH_FAILED", "CUDA_ERROR_ECC_UNCORRECTABLE");

    private CudaErrors() {
    }

    /**
     * A one-line exception for a failed CUDA operation, with {@code t} as its cause: an
     * {@link IllegalStateException} reading {@code engine: cuda: <what> failed: <meaning> (<code>)}, plus a note
     * when the error leaves the context unusable. Exceptions that already carry an {@code engine:} message are
     * returned unchanged.
     *
     * @param what the operation, e.g. {@code "launch of probe.d4j_probe"}
     * @param t    what was thrown
     */
    public static RuntimeException wrap(String what, Throwable t) {
        if ((t instanceof IllegalStateException || t instanceof IllegalArgumentException)
                && t.getMessage() != null && t.getMessage().startsWith("engine:")) {
            return (RuntimeException) t;
        }
        String code = code(t);
        String reason;
        if (code != null) {
            reason = MEANINGS.getOrDefault(code, code.substring("CUDA_ERROR_".length()).toLowerCase(java.util.Locale.ROOT)
                    .replace('_', ' ')) + " (" + code + ")";
            if (isSticky(code)) {
                reason += "; the CUDA context is unusable now and must be closed";
            }
            String simulator = simulatorReport(code);
            if (simulator != null) {
                reason += "; " + simulator;
            }
        } else if (t instanceof UnsatisfiedLinkError) {
            reason = "no CUDA driver found (" + firstLine(t) + ")";
        } else {
            reason = firstLine(t);
        }
        return new IllegalStateException("engine: cuda: " + what + " failed: " + reason, t);
    }

    /** The driver's result code named in a JCuda exception (e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}), else null. */
    public static String code(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof CudaException && c.getMessage() != null) {
                Matcher m = CODE.matcher(c.getMessage());
                if (m.find()) {
                    return m.group();
                }
            }
        }
        return null;
    }

    /** Whether an error code leaves the context corrupt (illegal address, launch failure, device assert, ...). */
    public static boolean isSticky(String code) {
        return STICKY.contains(code);
    }

    /**
     * The simulated GPU's one-line report for an error code (what failed where: kernel, block, thread, byte offset),
     * or null on a real driver, whose cuGetErrorString is a fixed text per code.
     */
    static String simulatorReport(String code) {
        try {
            int value = jcuda.driver.CUresult.class.getField(code).getInt(null);
            String[] text = new String[1];
            jcuda.driver.JCudaDriver.cuGetErrorString(value, text);
            return text[0] != null && text[0].startsWith("d4j-sim: ") ? text[0].lines().findFirst().orElse(text[0]) : null;
        } catch (Throwable e) {
            return null;
        }
    }

    private static String firstLine(Throwable t) {
        String msg = t.getMessage();
        if (msg == null || msg.isBlank()) {
            return t.getClass().getSimpleName();
        }
        return msg.lines().findFirst().orElse(msg);
    }
}
