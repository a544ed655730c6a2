// Tests of the simulated GPU through its driver API: the kernels of sim_kernels.cu (an sm_90 fatbin, argv[1]) run
// and give the GPU's results (barriers, warp collectives, atomics across parallel blocks, dynamic shared memory,
// graphs), and every misuse is reported in one line that names the kernel, block and thread (divergent and
// unreached barriers, collectives with a bad mask or an exited lane, a deadlock, a write past an allocation or
// past the dynamic shared memory) or refused at launch (registers, shared memory). Prints one line per check;
// exits 1 when any fails. Run by native-tests/run-sim-tests.sh with D4J_SIM_MEMORY_MIB=256.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" {
int cuInit(unsigned);
int cuCtxCreate_v2(void** ctx, unsigned flags, int device);
int cuCtxDestroy_v2(void* ctx);
int cuCtxSynchronize(void);
int cuDeviceGetName(char* name, int length, int device);
int cuDeviceGetAttribute(int* value, int attribute, int device);
int cuModuleLoadData(void** module, const void* image);
int cuModuleGetFunction(void** f, void* module, const char* name);
int cuFuncGetAttribute(int* value, int attribute, void* f);
int cuFuncSetAttribute(void* f, int attribute, int value);
int cuMemAlloc_v2(unsigned long long* p, size_t bytes);
int cuMemFree_v2(unsigned long long p);
int cuMemGetInfo_v2(size_t* free, size_t* total);
int cuMemcpyHtoD_v2(unsigned long long dst, const void* src, size_t n);
int cuMemcpyDtoH_v2(void* dst, unsigned long long src, size_t n);
int cuMemsetD8_v2(unsigned long long dst, unsigned char value, size_t n);
int cuMemcpy(unsigned long long dst, unsigned long long src, size_t n);
int cuMemAllocHost_v2(void** p, size_t bytes);
int cuMemFreeHost(void* p);
int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned shared,
                   void* stream, void** params, void** extra);
int cuGetErrorString(int code, const char** text);
int cuStreamCreate(void** stream, unsigned flags);
int cuStreamDestroy_v2(void* stream);
int cuStreamBeginCapture_v2(void* stream, int mode);
int cuStreamEndCapture(void* stream, void** graph);
int cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long flags);
int cuGraphLaunch(void* exec, void* stream);
int cuGraphDestroy(void* graph);
int cuGraphExecDestroy(void* exec);
int cuMemsetD8Async(unsigned long long dst, unsigned char value, size_t n, void* stream);
int cuOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, void* f, int threads, size_t shared);
int cuOccupancyMaxPotentialBlockSize(int* min_grid, int* block, void* f, void* callback, size_t shared, int limit);
}

namespace {

constexpr int ILLEGAL_ADDRESS = 700;
constexpr int LAUNCH_OUT_OF_RESOURCES = 701;
constexpr int LAUNCH_FAILED = 719;
constexpr int INVALID_VALUE = 1;
constexpr int OUT_OF_MEMORY = 2;

int failures = 0;
std::vector<char> image;

void check(bool ok, const std::string& what) {
    std::printf("%s %s\n", ok ? "PASS" : "FAIL", what.c_str());
    if (!ok) {
        failures++;
    }
}

std::string report(int code) {
    const char* text = "";
    cuGetErrorString(code, &text);
    return text;
}

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

/** A fresh context with the test module loaded (misuse leaves a context unusable, as on a GPU). */
struct Session {
    void* ctx = nullptr;
    void* module = nullptr;

    Session() {
        cuCtxCreate_v2(&ctx, 0, 0);
        int r = cuModuleLoadData(&module, image.data());
        if (r != 0) {
            std::printf("FAIL loading the test fatbin: %d %s\n", r, report(r).c_str());
            std::exit(1);
        }
    }
    ~Session() {
        cuCtxDestroy_v2(ctx);
    }
    void* function(const char* name) {
        void* f = nullptr;
        cuModuleGetFunction(&f, module, name);
        return f;
    }
    unsigned long long alloc(size_t bytes) {
        unsigned long long p = 0;
        cuMemAlloc_v2(&p, bytes);
        cuMemsetD8_v2(p, 0, bytes);
        return p;
    }
    /** Launches and synchronizes; the result of the synchronization. */
    int run(const char* name, unsigned grid, unsigned block, unsigned shared, std::vector<void*> params) {
        int r = cuLaunchKernel(function(name), grid, 1, 1, block, 1, 1, shared, nullptr, params.data(), nullptr);
        return r != 0 ? r : cuCtxSynchronize();
    }
};

/** A kernel that must fail: the code and the report's required parts. */
void expect_report(const char* kernel, unsigned block, int code, std::vector<std::string> parts, unsigned shared = 0) {
    Session s;
    unsigned long long out = s.alloc(4 * 1024);
    int r = s.run(kernel, 1, block, shared, {&out});
    std::string text = report(r);
    bool ok = r == code;
    for (const std::string& p : parts) {
        ok = ok && contains(text, p);
    }
    check(ok, std::string(kernel) + " is reported: " + std::to_string(r) + " " + text);
    unsigned long long probe = 0;
    check(cuMemAlloc_v2(&probe, 16) == code, std::string(kernel) + ": the error is sticky");
}

void device() {
    char name[256];
    cuDeviceGetName(name, sizeof(name), 0);
    int sms = 0, major = 0, optin = 0;
    cuDeviceGetAttribute(&sms, 16, 0);
    cuDeviceGetAttribute(&major, 75, 0);
    cuDeviceGetAttribute(&optin, 97, 0);
    check(contains(name, "simulated") && sms == 132 && major == 9 && optin == 232448,
          std::string("the H200 profile: ") + name + ", " + std::to_string(sms) + " SMs, sm_" + std::to_string(major) + "0");
    Session s;
    size_t free = 0, total = 0;
    cuMemGetInfo_v2(&free, &total);
    check(total == 256u << 20, "cuMemGetInfo reports D4J_SIM_MEMORY_MIB: " + std::to_string(total));
    unsigned long long p = 0;
    check(cuMemAlloc_v2(&p, 300u << 20) == OUT_OF_MEMORY, "an allocation above the device size is out of memory");
    check(cuMemAlloc_v2(&p, 200u << 20) == 0, "an allocation within it succeeds");
    cuMemGetInfo_v2(&free, &total);
    check(free == 56u << 20, "and is counted: " + std::to_string(free) + " bytes free");
    std::vector<char> big(64);
    unsigned long long q = s.alloc(32);
    int r = cuMemcpyHtoD_v2(q, big.data(), 64);
    check(r == INVALID_VALUE && contains(report(r), "runs 32 bytes past its end"), "a copy past an allocation is refused: " + report(r));
    cuMemFree_v2(p);
    void* pinned = nullptr;
    cuMemAllocHost_v2(&pinned, 16);
    std::memcpy(pinned, "0123456789abcdef", 16);
    unsigned long long d = s.alloc(16);
    char back[17] = {0};
    bool copied = cuMemcpy(d, reinterpret_cast<unsigned long long>(pinned), 16) == 0
                  && cuMemcpy(reinterpret_cast<unsigned long long>(back), d, 16) == 0;
    check(copied && std::strcmp(back, "0123456789abcdef") == 0, "page-locked host memory and cuMemcpy between host and device");
    check(cuMemcpy(d, reinterpret_cast<unsigned long long>(pinned), 17) == INVALID_VALUE, "and cuMemcpy checks the device side's bounds");
    cuMemFreeHost(pinned);
}

void barriers() {
    Session s;
    for (unsigned block : {32u, 256u, 1024u}) {
        unsigned long long out = s.alloc(4 * 64);
        int r = s.run("block_sum", 64, block, 0, {&out});
        std::vector<int> h(64);
        cuMemcpyDtoH_v2(h.data(), out, 4 * 64);
        bool ok = r == 0;
        for (int v : h) {
            ok = ok && v == static_cast<int>(block * (block - 1) / 2);
        }
        check(ok, "a shared-memory tree over __syncthreads sums " + std::to_string(block) + " threads in 64 blocks");
    }
    expect_report("divergent_barrier", 64, LAUNCH_FAILED,
                  {"divergent __syncthreads in divergent_barrier, block (0,0,0)", "thread (0,0,0) waits at", "thread (32,0,0) at"});
    expect_report("exited_barrier", 64, LAUNCH_FAILED, {"is reached by 63 of 64 threads", "thread (5,0,0) has exited"});
    expect_report("barrier_against_warp", 32, LAUNCH_FAILED, {"deadlock in barrier_against_warp, block (0,0,0)", "__syncwarp"});
}

void collectives() {
    Session s;
    const int threads = 96;
    unsigned long long out = s.alloc(4 * 8 * threads);
    int r = s.run("collectives", 1, threads, 0, {&out});
    std::vector<int> h(8 * threads);
    cuMemcpyDtoH_v2(h.data(), out, h.size() * 4);
    bool ok = r == 0;
    for (int t = 0; t < threads && ok; ++t) {
        int l = t % 32;
        auto v = [](int lane) { return 100 * lane + 7; };
        int ballot = 0;
        for (int j = 0; j < 32; j += 3) {
            ballot |= 1 << j;
        }
        int expected[8] = {v(3), l >= 2 ? v(l - 2) : v(l), l + 5 < 32 ? v(l + 5) : v(l), v(l ^ 9),
                           (l % 8) + 1 < 8 ? v(l + 1) : v(l), ballot, 1, 0};
        for (int k = 0; k < 8; ++k) {
            if (h[8 * t + k] != expected[k]) {
                ok = false;
                std::printf("  thread %d result %d: %d, expected %d\n", t, k, h[8 * t + k], expected[k]);
            }
        }
    }
    check(ok, "__shfl_sync, _up, _down, _xor, width 8, __ballot_sync, __any_sync, __all_sync give the GPU's results");
    std::vector<float> in(1024);
    for (int i = 0; i < 1024; ++i) {
        in[i] = static_cast<float>(i % 37);
    }
    unsigned long long din = s.alloc(4 * 1024);
    unsigned long long dsum = s.alloc(4 * 32);
    cuMemcpyHtoD_v2(din, in.data(), 4 * 1024);
    r = s.run("warp_sum", 4, 256, 0, {&din, &dsum});
    std::vector<float> sums(32);
    cuMemcpyDtoH_v2(sums.data(), dsum, 4 * 32);
    ok = r == 0;
    for (int w = 0; w < 32; ++w) {
        float e = 0;
        for (int i = 0; i < 32; ++i) {
            e += in[32 * w + i];
        }
        ok = ok && sums[w] == e;
    }
    check(ok, "a __shfl_down_sync tree sums each warp");
    expect_report("shuffle_outside_mask", 32, LAUNCH_FAILED,
                  {"__shfl_sync at", "sim_kernels.cu:", "thread (16,0,0)", "the mask 0x0000ffff leaves out the calling lane 16"});
    expect_report("shuffle_after_exit", 32, LAUNCH_FAILED, {"__shfl_down_sync", "names lane 3, which has exited"});
}

void atomics() {
    Session s;
    unsigned long long counts = s.alloc(16);
    unsigned long long fsum = s.alloc(4);
    unsigned long long maximum = s.alloc(4);
    const unsigned blocks = 200, threads = 128;
    int r = s.run("atomics", blocks, threads, 0, {&counts, &fsum, &maximum});
    unsigned long long c[2];
    float f = 0;
    int m = 0;
    cuMemcpyDtoH_v2(c, counts, 16);
    cuMemcpyDtoH_v2(&f, fsum, 4);
    cuMemcpyDtoH_v2(&m, maximum, 4);
    unsigned long long n = blocks * threads;
    check(r == 0 && c[0] == n && c[1] == n * (n - 1) / 2 && f == 0.5f * n && m == static_cast<int>(n - 1),
          "atomics from 200 blocks on parallel workers lose no update: " + std::to_string(c[0]) + " " + std::to_string(c[1])
              + " " + std::to_string(f) + " " + std::to_string(m));
}

void shared_memory() {
    Session s;
    const int count = 1000;
    unsigned long long out = s.alloc(4 * count);
    int n = count;
    int r = s.run("dynamic_shared", 1, 128, 4 * count, {&out, &n});
    std::vector<float> h(count);
    cuMemcpyDtoH_v2(h.data(), out, 4 * count);
    bool ok = r == 0;
    for (int k = 0; k < count; ++k) {
        ok = ok && h[k] == static_cast<float>(count - 1 - k);
    }
    check(ok, "dynamic shared memory of the launch's size");
    void* f = s.function("dynamic_shared");
    std::vector<void*> params = {&out, &n};
    int big = 60000;
    r = cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, big, nullptr, params.data(), nullptr);
    check(r == INVALID_VALUE && contains(report(r), "cuFuncSetAttribute"), "more than 48 KiB without opting in is refused: " + report(r));
    check(cuFuncSetAttribute(f, 8, 232448 + 4) == INVALID_VALUE, "opting in to more than 227 KiB is refused");
    check(cuFuncSetAttribute(f, 8, big) == 0 && cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, big, nullptr, params.data(), nullptr) == 0
              && cuCtxSynchronize() == 0,
          "after cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES) it launches");
    void* g = s.function("static_shared_48k");
    int bytes = 0;
    cuFuncGetAttribute(&bytes, 1, g);
    std::vector<void*> p2 = {&out};
    check(bytes == 49152 && cuLaunchKernel(g, 1, 1, 1, 64, 1, 1, 0, nullptr, p2.data(), nullptr) == 0
              && cuLaunchKernel(g, 1, 1, 1, 64, 1, 1, 16, nullptr, p2.data(), nullptr) == INVALID_VALUE,
          "static shared memory from the cubin (" + std::to_string(bytes) + " bytes) counts against the 48 KiB");
    {
        Session t;
        unsigned long long o = t.alloc(4 * count);
        int r2 = t.run("dynamic_shared", 1, 128, 4 * count - 4, {&o, &n});
        std::string text = report(r2);
        check(r2 == ILLEGAL_ADDRESS && contains(text, "invalid __shared__ write in dynamic_shared, block (0,0,0), thread (103,0,0)")
                  && contains(text, "byte offset 3996 of the block's 3996 bytes of dynamic shared memory"),
              "4 bytes too little dynamic shared memory is caught: " + text);
    }
}

void guard_pages() {
    Session s;
    const int n = 100;
    unsigned long long out = s.alloc(4 * n);
    int count = n;
    int r = s.run("write_past_end", 1, 64, 0, {&out, &count});
    std::string text = report(r);
    check(r == ILLEGAL_ADDRESS && contains(text, "invalid __global__ write in write_past_end, block (0,0,0), thread (36,0,0)")
              && contains(text, "byte offset 400 of a 400-byte allocation") && contains(text, "(0 bytes past its end)"),
          "a write one element past an allocation is caught: " + text);
    float h = 0;
    check(cuMemcpyDtoH_v2(&h, out, 4) == ILLEGAL_ADDRESS, "and the context is unusable after it");
}

void registers() {
    Session s;
    void* f = s.function("many_registers");
    int regs = 0, max_threads = 0;
    cuFuncGetAttribute(&regs, 4, f);
    cuFuncGetAttribute(&max_threads, 0, f);
    int per_warp = ((regs + 7) / 8 * 8 * 32 + 255) / 256 * 256;
    check(regs > 64 && max_threads == 65536 / per_warp * 32 && max_threads < 1024,
          "registers from the cubin: " + std::to_string(regs) + " per thread, at most " + std::to_string(max_threads) + " threads");
    unsigned long long in = s.alloc(4 * 96 * 1024);
    unsigned long long out = s.alloc(4 * 96 * 1024);
    std::vector<void*> params = {&in, &out};
    int r = cuLaunchKernel(f, 1, 1, 1, 1024, 1, 1, 0, nullptr, params.data(), nullptr);
    std::string refused = report(r);
    check(r == LAUNCH_OUT_OF_RESOURCES && contains(refused, "registers"), "a block above the register limit is refused: " + refused);
    check(cuLaunchKernel(f, 1, 1, 1, static_cast<unsigned>(max_threads), 1, 1, 0, nullptr, params.data(), nullptr) == 0
              && cuCtxSynchronize() == 0,
          "a block at the limit runs");
    int blocks = 0, min_grid = 0, block = 0;
    cuOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, f, 256, 0);
    cuOccupancyMaxPotentialBlockSize(&min_grid, &block, f, nullptr, 0, 0);
    check(blocks == (65536 / per_warp) / 8 && block > 0 && block <= max_threads && min_grid % 132 == 0,
          "occupancy: " + std::to_string(blocks) + " blocks of 256 per SM; best block " + std::to_string(block) + ", grid "
              + std::to_string(min_grid));
}

void graphs() {
    Session s;
    void* stream = nullptr;
    cuStreamCreate(&stream, 0);
    unsigned long long counter = s.alloc(4);
    unsigned five = 5;
    cuMemcpyHtoD_v2(counter, &five, 4);
    void* f = s.function("count_threads");
    unsigned long long first = counter;
    std::vector<void*> params = {&counter};
    cuStreamBeginCapture_v2(stream, 0);
    cuMemsetD8Async(counter, 0, 4, stream);
    cuLaunchKernel(f, 3, 1, 1, 64, 1, 1, 0, stream, params.data(), nullptr);
    cuLaunchKernel(f, 2, 1, 1, 32, 1, 1, 0, stream, params.data(), nullptr);
    void* graph = nullptr;
    void* exec = nullptr;
    cuStreamEndCapture(stream, &graph);
    unsigned during = 0;
    cuMemcpyDtoH_v2(&during, first, 4);
    check(during == 5, "captured work does not run during capture");
    cuGraphInstantiateWithFlags(&exec, graph, 0);
    counter = s.alloc(4);  // parameters are captured by value: the graph keeps using the first buffer
    int r1 = cuGraphLaunch(exec, stream);
    int r2 = cuGraphLaunch(exec, stream);
    unsigned a = 0, b = 0;
    cuMemcpyDtoH_v2(&a, first, 4);
    cuMemcpyDtoH_v2(&b, counter, 4);
    check(r1 == 0 && r2 == 0 && a == 256 && b == 0,
          "a captured graph (memset, two launches) runs at each cuGraphLaunch: " + std::to_string(a));
    cuGraphExecDestroy(exec);
    cuGraphDestroy(graph);
    cuStreamDestroy_v2(stream);
}

}  // namespace

/** x rounded as cvt.rna.tf32.f32 (to nearest, ties away from zero, 10 mantissa bits), written out for the test. */
float tf32(float x) {
    if (!std::isfinite(x)) {
        return x;
    }
    int e = 0;
    double m = std::frexp(static_cast<double>(x), &e);        // |m| in [0.5, 1): 11 significant bits are m x 2^11
    double scaled = std::ldexp(std::fabs(m), 11);
    double r = std::floor(scaled + 0.5);                         // half away from zero (on the magnitude)
    return static_cast<float>(std::copysign(std::ldexp(r, e - 11), static_cast<double>(x)));
}

/**
 * mma.sync m16n8k8 and m16n8k4 TF32: the simulator's result equals D + A B with TF32-rounded operands fused in k order
 * (computed here independently, with a rounding tie among the operands), differs from the FP32 product (so the
 * operands were rounded), and a kernel with a wrong fragment layout gets a wrong result; a warp of 16 lanes is reported.
 */
void tensor_cores() {
    Session s;
    float A[16 * 8], B[8 * 8], C[16 * 8];
    for (int i = 0; i < 16 * 8; ++i) {
        A[i] = std::sin(0.37f * static_cast<float>(i) + 0.1f) * (1.0f + static_cast<float>(i % 7) / 3.0f);
        C[i] = 0.01f * static_cast<float>(i % 11) - 0.05f;
    }
    for (int i = 0; i < 8 * 8; ++i) {
        B[i] = std::cos(0.53f * static_cast<float>(i) - 0.2f) / (1.0f + static_cast<float>(i % 5));
    }
    // a tie: 1 + 2^-11 (the first dropped bit set, no other) rounds away from zero to 1 + 2^-10
    A[5] = 1.0f + 0x1.0p-11f;
    B[9] = -(1.0f + 0x1.0p-11f);
    check(tf32(A[5]) == 1.0f + 0x1.0p-10f && tf32(B[9]) == -(1.0f + 0x1.0p-10f), "the test's rounding breaks ties away from zero");
    float want[16 * 8], fp32[16 * 8];
    for (int i = 0; i < 16; ++i) {
        for (int n = 0; n < 8; ++n) {
            float d = C[i * 8 + n];
            float f = C[i * 8 + n];
            for (int k = 0; k < 8; ++k) {
                d = std::fma(tf32(A[i * 8 + k]), tf32(B[k * 8 + n]), d);
                f = std::fma(A[i * 8 + k], B[k * 8 + n], f);
            }
            want[i * 8 + n] = d;
            fp32[i * 8 + n] = f;
        }
    }
    for (int swap = 0; swap < 2; ++swap) {
        unsigned long long da = s.alloc(sizeof A), db = s.alloc(sizeof B), dd = s.alloc(sizeof C);
        cuMemcpyHtoD_v2(da, A, sizeof A);
        cuMemcpyHtoD_v2(db, B, sizeof B);
        cuMemcpyHtoD_v2(dd, C, sizeof C);
        int r = s.run("mma_tf32_tile", 1, 32, 0, {&da, &db, &dd, &swap});
        float got[16 * 8];
        cuMemcpyDtoH_v2(got, dd, sizeof got);
        int same = 0, as_fp32 = 0;
        for (int i = 0; i < 16 * 8; ++i) {
            same += std::memcmp(&got[i], &want[i], sizeof(float)) == 0;
            as_fp32 += got[i] == fp32[i];
        }
        if (swap == 0) {
            check(r == 0 && same == 16 * 8, "mma m16n8k8 tf32: all 128 outputs equal D + A B of TF32 operands (" + std::to_string(same) + ")");
            check(as_fp32 < 16 * 8 / 2, "mma m16n8k8 tf32: the operands are rounded (" + std::to_string(as_fp32) + " of 128 outputs equal FP32's)");
        } else {
            check(r == 0 && same < 16 * 8 / 2, "mma m16n8k8 tf32: a wrong A fragment layout gives wrong outputs (" + std::to_string(16 * 8 - same)
                                                   + " of 128 differ)");
        }
    }
    // m16n8k4: A [16][4] (the first 4 columns of A), B [4][8] (the first 4 rows of B)
    {
        float A4[16 * 4], D4[16 * 8], want4[16 * 8];
        for (int i = 0; i < 16; ++i) {
            for (int k = 0; k < 4; ++k) {
                A4[i * 4 + k] = A[i * 8 + k];
            }
        }
        for (int i = 0; i < 16; ++i) {
            for (int n = 0; n < 8; ++n) {
                float d = C[i * 8 + n];
                for (int k = 0; k < 4; ++k) {
                    d = std::fma(tf32(A4[i * 4 + k]), tf32(B[k * 8 + n]), d);
                }
                want4[i * 8 + n] = d;
            }
        }
        unsigned long long da = s.alloc(sizeof A4), db = s.alloc(sizeof B), dd = s.alloc(sizeof C);
        cuMemcpyHtoD_v2(da, A4, sizeof A4);
        cuMemcpyHtoD_v2(db, B, sizeof B);
        cuMemcpyHtoD_v2(dd, C, sizeof C);
        int r = s.run("mma_tf32_k4_tile", 1, 32, 0, {&da, &db, &dd});
        cuMemcpyDtoH_v2(D4, dd, sizeof D4);
        int same = 0;
        for (int i = 0; i < 16 * 8; ++i) {
            same += std::memcmp(&D4[i], &want4[i], sizeof(float)) == 0;
        }
        check(r == 0 && same == 16 * 8, "mma m16n8k4 tf32: all 128 outputs equal D + A B of TF32 operands (" + std::to_string(same) + ")");
    }
    expect_report("mma_partial_warp", 16, LAUNCH_FAILED, {"mma.sync.m16n8k8.tf32", "needs all 32 lanes", "mma_partial_warp"});
}

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: test_sim SIM_KERNELS_FATBIN\n");
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    image.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (image.empty()) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    cuInit(0);
    device();
    barriers();
    collectives();
    atomics();
    shared_memory();
    guard_pages();
    registers();
    graphs();
    tensor_cores();
    std::printf(failures == 0 ? "PASS: simulated GPU\n" : "FAIL: %d check(s)\n", failures);
    return failures == 0 ? 0 : 1;
}
