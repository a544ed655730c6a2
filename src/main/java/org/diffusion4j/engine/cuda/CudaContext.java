package org.diffusion4j.engine.cuda;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA context on device 0, with the kernel modules loaded into it and the device buffers allocated in it.
 *
 * <p>{@link #open()} creates the context (cuCtxCreate) and makes it current on the calling thread; {@link #close()}
 * destroys it, which frees every buffer and module of it ({@link DeviceBuffer}s still open are marked closed, so
 * closing them later is a no-op). New buffers and launches use the context current on the calling thread
 * ({@link #current()}), as the driver does: another thread calls {@link #makeCurrent()} first. Operations on this
 * context's modules and buffers make it current on the calling thread when it is not. Modules and functions are
 * loaded once and cached.
 * JCuda exceptions are enabled, and every driver error reaches the caller as one line (see {@link CudaErrors}).
 */
public final class CudaContext implements AutoCloseable {

    /** The oldest driver the kernels need: CUDA 12.0, as {@code cuDriverGetVersion} reports it. */
    public static final int MIN_DRIVER_VERSION = 12000;

    /** The dynamic shared memory a block gets without opting in (cuFuncSetAttribute). */
    static final int DEFAULT_SHARED_BYTES = 48 * 1024;

    private static final ThreadLocal<CudaContext> CURRENT = new ThreadLocal<>();

    private final CUcontext context;
    private final String deviceName;
    private final int driverVersion;
    private final int multiprocessors;
    private final long sharedMemoryPerBlockOptin;
    private final int computeCapability;
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final Map<CUfunction, Integer> sharedOptIn = new IdentityHashMap<>();
    private final Set<DeviceBuffer> buffers = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    private CudaContext(CUcontext context, String deviceName, int driverVersion, int multiprocessors,
            long sharedMemoryPerBlockOptin, int computeCapability) {
        this.context = context;
        this.deviceName = deviceName;
        this.driverVersion = driverVersion;
        this.multiprocessors = multiprocessors;
        this.sharedMemoryPerBlockOptin = sharedMemoryPerBlockOptin;
        this.computeCapability = computeCapability;
    }

    /**
     * Creates a context on device 0 and makes it current on the calling thread.
     *
     * @throws IllegalArgumentException when CUDA is unavailable here or the driver is older than 12.0
     * @throws IllegalStateException    when the driver fails to create the context
     */
    public static CudaContext open() {
        CudaProbe.Result probe = CudaProbe.probe();
        if (!probe.available()) {
            throw new IllegalArgumentException("engine: cuda is unavailable: " + probe.detail());
        }
        requireDriver(probe.driverVersion());
        requireDriverFor(KernelBundle.nvccVersion(), probe.driverVersion());
        JCudaDriver.setExceptionsEnabled(true);
        CUcontext context = new CUcontext();
        try {
            CUdevice device = new CUdevice();
            JCudaDriver.cuDeviceGet(device, 0);
            JCudaDriver.cuCtxCreate(context, 0, device);
        } catch (RuntimeException e) {
            throw CudaErrors.wrap("creating a context on " + probe.deviceName(), e);
        }
        try {
            CUdevice device = new CUdevice();
            JCudaDriver.cuCtxGetDevice(device);
            int sms = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
            int shared = attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
            int cc = 10 * attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
                    + attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            CudaContext ctx = new CudaContext(context, probe.deviceName(), probe.driverVersion(), sms, shared, cc);
            CURRENT.set(ctx);
            return ctx;
        } catch (RuntimeException e) {
            try {
                JCudaDriver.cuCtxDestroy(context);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw CudaErrors.wrap("querying " + probe.deviceName(), e);
        }
    }

    /**
     * Checks a driver version ({@code cuDriverGetVersion}, e.g. 12080) against {@link #MIN_DRIVER_VERSION}.
     *
     * @throws IllegalArgumentException when it is older
     */
    static void requireDriver(int version) {
        if (version < MIN_DRIVER_VERSION) {
            throw new IllegalArgumentException("engine: cuda: the driver " + CudaProbe.versionString(version)
                    + " is older than " + CudaProbe.versionString(MIN_DRIVER_VERSION) + ", which the kernels need");
        }
    }

    /**
     * Checks the driver against the compiler that built the bundled kernels: code from nvcc X.Y loads only on a driver
     * of CUDA X.Y or newer (its PTX is JIT-compiled by the driver). No check without bundled kernels.
     *
     * @throws IllegalArgumentException when the driver is older than the compiler
     */
    static void requireDriverFor(String nvccVersion, int driverVersion) {
        if (nvccVersion == null || !nvccVersion.matches("\\d+\\.\\d+(\\.\\d+)?")) {
            return;
        }
        String[] parts = nvccVersion.split("\\.");
        int needed = 1000 * Integer.parseInt(parts[0]) + 10 * Integer.parseInt(parts[1]);
        if (driverVersion < needed) {
            throw new IllegalArgumentException("engine: cuda: the driver " + CudaProbe.versionString(driverVersion) + " is older than CUDA "
                    + CudaProbe.versionString(needed) + ", which the kernels of this build (nvcc " + nvccVersion + ") need; rebuild with an older"
                    + " nvcc (NVCC=... mvn package) or update the driver");
        }
    }

    /**
     * The open context current on the calling thread (the last one opened or made current here).
     *
     * @throws IllegalStateException when there is none
     */
    public static CudaContext current() {
        CudaContext ctx = CURRENT.get();
        if (ctx == null || ctx.isClosed()) {
            throw new IllegalStateException("engine: cuda: no open CUDA context is current on this thread (CudaContext.open() or makeCurrent() first)");
        }
        return ctx;
    }

    /** Makes this context current on the calling thread (needed before using it from another thread). */
    public synchronized void makeCurrent() {
        requireOpen();
        try {
            JCudaDriver.cuCtxSetCurrent(context);
        } catch (RuntimeException e) {
            throw CudaErrors.wrap("making the context current", e);
        }
        CURRENT.set(this);
    }

    /** Makes this context current on the calling thread unless it already is. */
    void ensureCurrent() {
        if (CURRENT.get() != this) {
            makeCurrent();
        }
    }

    /**
     * The module of {@code /kernels/<name>.fatbin}, loaded into this context on first use (cuModuleLoadData).
     *
     * @throws IllegalStateException when the build does not bundle it, or it has no code this GPU and driver run
     */
    public synchronized CUmodule module(String name) {
        requireOpen();
        CUmodule module = modules.get(name);
        if (module == null) {
            byte[] image = KernelBundle.load(name);
            ensureCurrent();
            module = new CUmodule();
            try {
                JCudaDriver.cuModuleLoadData(module, image);
            } catch (RuntimeException e) {
                String built = KernelBundle.nvccVersion() == null ? ""
                        : " (built by nvcc " + KernelBundle.nvccVersion() + " for " + KernelBundle.targets() + ")";
                throw CudaErrors.wrap("loading kernels/" + name + ".fatbin" + built + " on sm_" + computeCapability
                        + " with driver " + CudaProbe.versionString(driverVersion), e);
            }
            modules.put(name, module);
        }
        return module;
    }

    private KernelProfile profile;

    /** Starts timing every launch on this context with CUDA events (replacing an active profile). */
    public synchronized KernelProfile startProfile() {
        profile = new KernelProfile();
        return profile;
    }

    /** Stops timing launches; the profile keeps what it recorded. */
    public synchronized void stopProfile() {
        profile = null;
    }

    /** The active profile, or null. */
    synchronized KernelProfile profile() {
        return profile;
    }

    /**
     * A kernel of a module (its {@code extern "C"} name), looked up once and cached.
     *
     * @throws IllegalStateException when the module lacks it
     */
    public synchronized CUfunction function(String module, String kernel) {
        String key = module + "." + kernel;
        CUfunction function = functions.get(key);
        if (function == null) {
            CUmodule m = module(module);
            function = new CUfunction();
            try {
                JCudaDriver.cuModuleGetFunction(function, m, kernel);
            } catch (RuntimeException e) {
                if ("CUDA_ERROR_NOT_FOUND".equals(CudaErrors.code(e))) {
                    throw new IllegalStateException("engine: cuda: kernels/" + module + ".fatbin has no kernel '" + kernel
                            + "' (is it extern \"C\"?)", e);
                }
                throw CudaErrors.wrap("looking up kernel " + key, e);
            }
            functions.put(key, function);
        }
        return function;
    }

    /** The {@code module.kernel} name of a function from {@link #function}, or "a kernel" for any other. */
    synchronized String nameOf(CUfunction function) {
        for (Map.Entry<String, CUfunction> e : functions.entrySet()) {
            if (e.getValue() == function) {
                return e.getKey();
            }
        }
        return "a kernel";
    }

    /**
     * Lets a function launch with {@code bytes} of dynamic shared memory: above 48 KiB a kernel must opt in
     * (CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES); done once per function and size.
     *
     * @throws IllegalArgumentException when the GPU has less shared memory per block
     */
    synchronized void allowSharedMemory(CUfunction function, int bytes) {
        if (bytes <= DEFAULT_SHARED_BYTES || sharedOptIn.getOrDefault(function, 0) >= bytes) {
            return;
        }
        if (bytes > sharedMemoryPerBlockOptin) {
            throw new IllegalArgumentException("engine: cuda: " + nameOf(function) + " asks for " + bytes
                    + " bytes of shared memory, this GPU has " + sharedMemoryPerBlockOptin + " per block");
        }
        ensureCurrent();
        try {
            JCudaDriver.cuFuncSetAttribute(function, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
        } catch (RuntimeException e) {
            throw CudaErrors.wrap("allowing " + bytes + " bytes of shared memory for " + nameOf(function), e);
        }
        sharedOptIn.put(function, bytes);
    }

    /**
     * How many blocks of {@code threads} threads with {@code sharedBytes} of dynamic shared memory fit on one
     * multiprocessor at once (cuOccupancyMaxActiveBlocksPerMultiprocessor: registers, shared memory, threads), at least 1.
     */
    int blocksPerMultiprocessor(CUfunction function, int threads, int sharedBytes) {
        allowSharedMemory(function, sharedBytes);
        ensureCurrent();
        int[] blocks = new int[1];
        try {
            JCudaDriver.cuOccupancyMaxActiveBlocksPerMultiprocessor(blocks, function, threads, sharedBytes);
        } catch (RuntimeException e) {
            throw CudaErrors.wrap("the occupancy of " + nameOf(function), e);
        }
        return Math.max(1, blocks[0]);
    }

    /** Number of streaming multiprocessors of the GPU. */
    public int multiprocessors() {
        return multiprocessors;
    }

    /** The most shared memory one block may use after opting in, in bytes (e.g. 232448 on an H100). */
    public long sharedMemoryPerBlockOptin() {
        return sharedMemoryPerBlockOptin;
    }

    /** The compute capability as major * 10 + minor (e.g. 90 for sm_90). */
    public int computeCapability() {
        return computeCapability;
    }

    /** Whether the device is the simulated GPU (native-tests/sim), which runs the kernels on the CPU. */
    public boolean simulated() {
        return CudaProbe.isSimulated(deviceName);
    }

    /** The GPU's name. */
    public String deviceName() {
        return deviceName;
    }

    /** The driver version, as {@code cuDriverGetVersion} reports it (e.g. 12080). */
    public int driverVersion() {
        return driverVersion;
    }

    /** Free and total GPU memory in bytes, {@code {free, total}} (cuMemGetInfo). */
    public long[] memoryInfo() {
        ensureCurrent();
        long[] free = new long[1];
        long[] total = new long[1];
        try {
            JCudaDriver.cuMemGetInfo(free, total);
        } catch (RuntimeException e) {
            throw CudaErrors.wrap("querying GPU memory", e);
        }
        return new long[] {free[0], total[0]};
    }

    /** Waits for all work in this context; errors of earlier kernels surface here (cuCtxSynchronize). */
    public void synchronize() {
        ensureCurrent();
        try {
            JCudaDriver.cuCtxSynchronize();
        } catch (RuntimeException e) {
            throw CudaErrors.wrap("running the kernels (found at synchronize)", e);
        }
    }

    /** Whether {@link #close()} was called. */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Records a buffer allocated in this context, so {@link #close()} can mark it released. */
    synchronized void register(DeviceBuffer buffer) {
        requireOpen();
        buffers.add(buffer);
    }

    /** Forgets a buffer that was freed; whether this context is still open (false: its memory went with it). */
    synchronized boolean unregister(DeviceBuffer buffer) {
        buffers.remove(buffer);
        return !closed;
    }

    /** Throws unless this context is open. */
    synchronized void requireOpen() {
        if (closed) {
            throw new IllegalStateException("engine: cuda: the CUDA context is closed");
        }
    }

    /** Destroys the context and everything in it (buffers, modules); idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<DeviceBuffer> open = new ArrayList<>(buffers);
        buffers.clear();
        for (DeviceBuffer b : open) {
            b.released();
        }
        modules.clear();
        functions.clear();
        sharedOptIn.clear();
        if (CURRENT.get() == this) {
            CURRENT.remove();
        }
        try {
            JCudaDriver.cuCtxDestroy(context);
        } catch (RuntimeException e) {
            throw CudaErrors.wrap("destroying the context", e);
        }
    }

    @Override
    public String toString() {
        return deviceName + " (sm_" + computeCapability + ", " + multiprocessors + " SMs, driver "
                + CudaProbe.versionString(driverVersion) + ")";
    }

    private static int attribute(CUdevice device, int attribute) {
        int[] value = new int[1];
        JCudaDriver.cuDeviceGetAttribute(value, attribute, device);
        return value[0];
    }
}
