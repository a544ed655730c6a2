// The CUDA driver API of the simulated GPU: the functions JCuda's driver binding calls for diffusion4j (device,
// context, memory, modules, launches, events), plus streams, stream capture and graphs, and occupancy queries.
//
// Work is executed at once, in order, on the calling thread's behalf (streams are orderings only). A kernel's
// failure is sticky like a real GPU's: the launch returns CUDA_SUCCESS, and every later call in the context returns
// the error until the context is destroyed; cuGetErrorString for that code then returns the simulator's one-line
// report ("d4j-sim: ..."), which is also written to stderr when it happens.
//
// Device memory is host memory mapped per allocation, its end against a no-access page. cuMemGetInfo reports
// D4J_SIM_MEMORY_MIB (default: the H200's 143771 MiB or the host's physical memory, whichever is smaller).
// Host modules (kernels compiled for the host, see module.h) are found in D4J_SIM_MODULES (directories separated
// by ':'), by default <directory of this library>/../modules.
#include <dirent.h>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sim.h"

#ifndef D4J_SIM_DRIVER_VERSION
#define D4J_SIM_DRIVER_VERSION 13000
#endif

namespace sim {

struct Module;

struct Function {
    Module* module;
    CubinKernel kernel;
    const d4j_sim_kernel* host;
    int max_dynamic_shared;
};

struct Module {
    std::vector<Function*> functions;
};

struct Mapping {
    void* base;
    size_t length;
    size_t size;
};

struct Context {
    Result sticky = SUCCESS;
    std::string report;  // of the sticky error
    std::map<uintptr_t, Mapping> memory;  // by start
    std::vector<Module*> modules;
    size_t used = 0;
};

struct Event {
    std::chrono::steady_clock::time_point at;
    bool recorded = false;
};

struct Node {
    enum Kind { KERNEL, COPY, SET };
    explicit Node(Kind k) : kind(k) {
    }
    Kind kind;
    Function* function = nullptr;
    unsigned grid[3] = {1, 1, 1};
    unsigned block[3] = {1, 1, 1};
    unsigned shared = 0;
    std::vector<uint8_t> params;  // the parameter values, at the cubin's offsets
    uintptr_t dst = 0;
    uintptr_t src = 0;
    size_t bytes = 0;
    unsigned value = 0;
    unsigned element = 1;
};

struct Graph {
    std::vector<Node> nodes;
};

struct Stream {
    bool capturing = false;
    Graph* graph = nullptr;
};

namespace {

std::mutex state_lock;
thread_local Context* current = nullptr;
// The detail of the calling thread's last failed call, for cuGetErrorString (a kernel's report is the context's).
thread_local int last_code = 0;
thread_local std::string last_detail;

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return buf;
}

/** Returns `code` after recording its one-line detail (stderr and cuGetErrorString). */
Result fail(Result code, const std::string& detail) {
    log_line(detail);
    last_code = code;
    last_detail = "d4j-sim: " + detail;
    return code;
}

size_t capacity() {
    static const size_t bytes = [] {
        const char* v = std::getenv("D4J_SIM_MEMORY_MIB");
        if (v != nullptr && *v != '\0') {
            return static_cast<size_t>(std::strtoull(v, nullptr, 10)) << 20;
        }
        size_t h200 = static_cast<size_t>(143771) << 20;
        size_t physical = static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
        return std::min(h200, physical);
    }();
    return bytes;
}

size_t page() {
    static const size_t p = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    return p;
}

/** The calling thread's context, or INVALID_CONTEXT; its sticky error if it has one. */
Result context(Context*& ctx) {
    ctx = current;
    if (ctx == nullptr) {
        return INVALID_CONTEXT;
    }
    return ctx->sticky;
}

/** Whether [p, p + n) lies in one allocation of ctx; else a detail. */
bool in_allocation(Context* ctx, uintptr_t p, size_t n, std::string& detail, const char* what) {
    auto it = ctx->memory.upper_bound(p);
    if (it == ctx->memory.begin()) {
        detail = format("%s of %zu bytes at 0x%lx: not device memory", what, n, static_cast<unsigned long>(p));
        return false;
    }
    --it;
    uintptr_t start = it->first;
    size_t size = it->second.size;
    if (p >= start + size) {
        detail = format("%s of %zu bytes at 0x%lx: not device memory", what, n, static_cast<unsigned long>(p));
        return false;
    }
    if (p + n > start + size) {
        detail = format("%s of %zu bytes at byte offset %zu of a %zu-byte allocation runs %zu bytes past its end", what, n,
                        static_cast<size_t>(p - start), size, static_cast<size_t>(p + n - start - size));
        return false;
    }
    return true;
}

int max_threads(const CubinKernel& k) {
    int per_thread = std::max(1, (k.registers + REGISTER_THREAD_UNIT - 1) / REGISTER_THREAD_UNIT) * REGISTER_THREAD_UNIT;
    int per_warp = (per_thread * WARP + REGISTER_ALLOCATION_UNIT - 1) / REGISTER_ALLOCATION_UNIT * REGISTER_ALLOCATION_UNIT;
    return std::min(MAX_THREADS_PER_BLOCK, REGISTERS_PER_BLOCK / per_warp * WARP);
}

int registers_per_warp(const CubinKernel& k) {
    int per_thread = std::max(1, (k.registers + REGISTER_THREAD_UNIT - 1) / REGISTER_THREAD_UNIT) * REGISTER_THREAD_UNIT;
    return (per_thread * WARP + REGISTER_ALLOCATION_UNIT - 1) / REGISTER_ALLOCATION_UNIT * REGISTER_ALLOCATION_UNIT;
}

/** Blocks of `threads` with `dynamic` bytes of dynamic shared memory that fit on one SM at once. */
int blocks_per_sm(const Function& f, int threads, size_t dynamic) {
    if (threads <= 0 || threads > max_threads(f.kernel)) {
        return 0;
    }
    int warps = (threads + WARP - 1) / WARP;
    int by_threads = MAX_THREADS_PER_SM / (warps * WARP);
    int by_registers = (REGISTERS_PER_SM / registers_per_warp(f.kernel)) / warps;
    size_t shared = f.kernel.static_shared + dynamic + SHARED_RESERVED_PER_BLOCK;
    shared = (shared + SHARED_ALLOCATION_UNIT - 1) / SHARED_ALLOCATION_UNIT * SHARED_ALLOCATION_UNIT;
    int by_shared = static_cast<int>(SHARED_PER_SM / shared);
    return std::max(0, std::min({MAX_BLOCKS_PER_SM, by_threads, by_registers, by_shared}));
}

// ---- host modules

struct HostModule {
    std::string path;
    const d4j_sim_kernel* kernels;
    unsigned count;
};

std::string module_dirs() {
    const char* v = std::getenv("D4J_SIM_MODULES");
    if (v != nullptr && *v != '\0') {
        return v;
    }
    Dl_info info;
    if (dladdr(reinterpret_cast<void*>(&module_dirs), &info) != 0 && info.dli_fname != nullptr) {
        std::string lib = info.dli_fname;
        size_t slash = lib.rfind('/');
        std::string dir = slash == std::string::npos ? "." : lib.substr(0, slash);
        return dir + "/../modules";
    }
    return "modules";
}

const std::vector<HostModule>& host_modules() {
    static std::vector<HostModule> modules;
    static std::once_flag loaded;
    std::call_once(loaded, [] {
        std::string dirs = module_dirs();
        size_t at = 0;
        while (at <= dirs.size()) {
            size_t colon = dirs.find(':', at);
            std::string dir = dirs.substr(at, colon == std::string::npos ? std::string::npos : colon - at);
            at = colon == std::string::npos ? dirs.size() + 1 : colon + 1;
            DIR* d = opendir(dir.c_str());
            if (d == nullptr) {
                continue;
            }
            std::vector<std::string> names;
            while (dirent* e = readdir(d)) {
                std::string name = e->d_name;
                if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0) {
                    names.push_back(name);
                }
            }
            closedir(d);
            std::sort(names.begin(), names.end());
            for (const std::string& name : names) {
                std::string path = dir + "/" + name;
                void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
                if (h == nullptr) {
                    log_line(format("cannot load host module %s: %s", path.c_str(), dlerror()));
                    continue;
                }
                auto fn = reinterpret_cast<d4j_sim_module_fn>(dlsym(h, "d4j_sim_module_kernels"));
                if (fn == nullptr) {
                    continue;
                }
                HostModule m{path, nullptr, 0};
                m.kernels = fn(&m.count);
                modules.push_back(m);
            }
        }
    });
    return modules;
}

std::set<std::string> names_of(const HostModule& m) {
    std::set<std::string> s;
    for (unsigned i = 0; i < m.count; ++i) {
        s.insert(m.kernels[i].name);
    }
    return s;
}

std::string join(const std::set<std::string>& s) {
    std::string out;
    for (const std::string& n : s) {
        out += (out.empty() ? "" : ", ") + n;
    }
    return "{" + out + "}";
}

/** Checks the host build of a kernel against the cubin's parameters; empty when they agree. */
std::string compare_params(const CubinKernel& k, const d4j_sim_kernel& h) {
    if (k.params.size() != h.params) {
        return format("%s has %zu parameters in the cubin but %u in the host module", k.name.c_str(), k.params.size(), h.params);
    }
    unsigned offset = 0;
    for (unsigned i = 0; i < h.params; ++i) {
        offset = (offset + h.alignments[i] - 1) / h.alignments[i] * h.alignments[i];
        if (k.params[i].size != h.sizes[i] || k.params[i].offset != offset) {
            return format("%s: parameter %u is %u bytes at offset %u in the cubin but %u bytes at offset %u in the host module",
                          k.name.c_str(), i, k.params[i].size, k.params[i].offset, h.sizes[i], offset);
        }
        offset += h.sizes[i];
    }
    return "";
}

// ---- execution

struct KernelCall {
    const d4j_sim_kernel* host;
    void* const* params;
};

void call_kernel(void* arg) {
    auto* c = static_cast<KernelCall*>(arg);
    c->host->invoke(c->params);
}

/** Runs a grid; a failure becomes the context's sticky error. */
void execute(Context* ctx, const char* name, const unsigned grid[3], const unsigned block[3], size_t shared,
             void (*body)(void*), void* arg) {
    Grid g{name, {grid[0], grid[1], grid[2]}, {block[0], block[1], block[2]}, shared, body, arg};
    std::string report;
    Result r = run_grid(g, report);
    if (r != SUCCESS) {
        ctx->sticky = r;
        ctx->report = "d4j-sim: " + report;
        log_line(report);
    }
}

Result check_launch(const Function* f, const unsigned grid[3], const unsigned block[3], unsigned shared) {
    if (f == nullptr) {
        return INVALID_HANDLE;
    }
    const CubinKernel& k = f->kernel;
    long long threads = static_cast<long long>(block[0]) * block[1] * block[2];
    if (grid[0] < 1 || grid[1] < 1 || grid[2] < 1 || grid[0] > 2147483647u || grid[1] > 65535 || grid[2] > 65535) {
        return fail(INVALID_VALUE, format("launch of %s: grid (%u,%u,%u) is out of range", k.name.c_str(), grid[0], grid[1], grid[2]));
    }
    if (block[0] < 1 || block[1] < 1 || block[2] < 1 || block[0] > 1024 || block[1] > 1024 || block[2] > 64
        || threads > MAX_THREADS_PER_BLOCK) {
        return fail(INVALID_VALUE, format("launch of %s: block (%u,%u,%u) is out of range (at most 1024 threads)", k.name.c_str(),
                                          block[0], block[1], block[2]));
    }
    if (threads > max_threads(k)) {
        return fail(LAUNCH_OUT_OF_RESOURCES,
                    format("launch of %s: a block of %lld threads needs %lld registers at %d per thread, an SM has %d "
                           "(at most %d threads per block)",
                           k.name.c_str(), threads, (threads + WARP - 1) / WARP * registers_per_warp(k), k.registers,
                           REGISTERS_PER_BLOCK, max_threads(k)));
    }
    if (static_cast<int>(shared) > f->max_dynamic_shared) {
        return fail(INVALID_VALUE,
                    format("launch of %s: %u bytes of dynamic shared memory exceed the function's limit of %d (%s)", k.name.c_str(),
                           shared, f->max_dynamic_shared,
                           f->max_dynamic_shared + static_cast<int>(k.static_shared) <= SHARED_DEFAULT
                               ? "48 KiB less its static shared memory; more needs cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)"
                               : "set by cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)"));
    }
    return SUCCESS;
}

void run_node(Context* ctx, Node& n) {
    if (ctx->sticky != SUCCESS) {
        return;
    }
    switch (n.kind) {
        case Node::KERNEL: {
            std::vector<void*> pointers;
            for (const Param& p : n.function->kernel.params) {
                pointers.push_back(n.params.data() + p.offset);
            }
            KernelCall call{n.function->host, pointers.data()};
            execute(ctx, n.function->kernel.name.c_str(), n.grid, n.block, n.shared, &call_kernel, &call);
            break;
        }
        case Node::COPY:
            std::memmove(reinterpret_cast<void*>(n.dst), reinterpret_cast<const void*>(n.src), n.bytes);
            break;
        case Node::SET:
            if (n.element == 1) {
                std::memset(reinterpret_cast<void*>(n.dst), static_cast<int>(n.value & 0xff), n.bytes);
            } else {
                auto* p = reinterpret_cast<uint32_t*>(n.dst);
                for (size_t i = 0; i < n.bytes / 4; ++i) {
                    p[i] = n.value;
                }
            }
            break;
    }
}

/** Runs a node now, or appends it to the graph being captured on `stream`. */
Result submit(Context* ctx, Stream* stream, Node n) {
    if (stream != nullptr && stream->capturing) {
        stream->graph->nodes.push_back(std::move(n));
        return SUCCESS;
    }
    run_node(ctx, n);
    return SUCCESS;
}

Result copy(Context* ctx, uintptr_t dst, uintptr_t src, size_t n, bool dst_device, bool src_device, Stream* stream) {
    std::string detail;
    if (dst_device && !in_allocation(ctx, dst, n, detail, "copy to device")) {
        return fail(INVALID_VALUE, detail);
    }
    if (src_device && !in_allocation(ctx, src, n, detail, "copy from device")) {
        return fail(INVALID_VALUE, detail);
    }
    Node node(Node::COPY);
    node.dst = dst;
    node.src = src;
    node.bytes = n;
    return submit(ctx, stream, std::move(node));
}

Result set(Context* ctx, uintptr_t dst, unsigned value, size_t count, unsigned element, Stream* stream) {
    std::string detail;
    if (!in_allocation(ctx, dst, count * element, detail, "memset")) {
        return fail(INVALID_VALUE, detail);
    }
    Node node(Node::SET);
    node.dst = dst;
    node.bytes = count * element;
    node.value = value;
    node.element = element;
    return submit(ctx, stream, std::move(node));
}

Context* primary = nullptr;

}  // namespace

}  // namespace sim

using namespace sim;

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef Context* CUcontext;
typedef Module* CUmodule;
typedef Function* CUfunction;
typedef Event* CUevent;
typedef Stream* CUstream;
typedef Graph* CUgraph;
typedef Graph* CUgraphExec;
typedef size_t (*CUoccupancyB2DSize)(int block_size);

#define API extern "C" __attribute__((visibility("default")))
#define REQUIRE_CONTEXT(ctx)                     \
    last_code = 0;                               \
    Context* ctx;                                \
    if (Result r_ = context(ctx); r_ != SUCCESS) \
    return r_

API CUresult cuInit(unsigned) {
    return SUCCESS;
}

API CUresult cuDriverGetVersion(int* version) {
    if (version == nullptr) {
        return INVALID_VALUE;
    }
    *version = D4J_SIM_DRIVER_VERSION;
    return SUCCESS;
}

API CUresult cuDeviceGetCount(int* count) {
    if (count == nullptr) {
        return INVALID_VALUE;
    }
    *count = 1;
    return SUCCESS;
}

API CUresult cuDeviceGet(CUdevice* device, int ordinal) {
    if (device == nullptr) {
        return INVALID_VALUE;
    }
    if (ordinal != 0) {
        return INVALID_DEVICE;
    }
    *device = 0;
    return SUCCESS;
}

API CUresult cuDeviceGetName(char* name, int length, CUdevice device) {
    if (name == nullptr || length <= 0) {
        return INVALID_VALUE;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    std::snprintf(name, static_cast<size_t>(length), "%s", DEVICE_NAME);
    return SUCCESS;
}

API CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice device) {
    if (bytes == nullptr) {
        return INVALID_VALUE;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    *bytes = capacity();
    return SUCCESS;
}

API CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice device) {
    if (device != 0) {
        return INVALID_DEVICE;
    }
    *major = CC_MAJOR;
    *minor = CC_MINOR;
    return SUCCESS;
}

API CUresult cuDeviceGetAttribute(int* value, int attribute, CUdevice device) {
    if (value == nullptr) {
        return INVALID_VALUE;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    // CUdevice_attribute values of cuda.h, with an H200's figures.
    static const std::map<int, int> table = {
        {1, MAX_THREADS_PER_BLOCK}, {2, 1024}, {3, 1024}, {4, 64}, {5, 2147483647}, {6, 65535}, {7, 65535},
        {8, SHARED_DEFAULT}, {9, 65536}, {10, WARP}, {11, 2147483647}, {12, REGISTERS_PER_BLOCK}, {13, 1980000},
        {14, 512}, {15, 1}, {16, SM_COUNT}, {17, 0}, {18, 0}, {19, 1}, {20, 0}, {30, 1}, {31, 1}, {32, 0}, {33, 0},
        {34, 0}, {35, 0}, {36, 3201000}, {37, 6144}, {38, 62914560}, {39, MAX_THREADS_PER_SM}, {40, 3}, {41, 1},
        {75, CC_MAJOR}, {76, CC_MINOR}, {78, 1}, {79, 1}, {80, 1}, {81, SHARED_PER_SM}, {82, REGISTERS_PER_SM},
        {83, 1}, {84, 0}, {85, 0}, {86, 1}, {87, 1}, {88, 0}, {89, 1}, {90, 1}, {91, 0}, {95, 1}, {96, 0},
        {97, SHARED_OPTIN}, {106, MAX_BLOCKS_PER_SM}, {111, SHARED_RESERVED_PER_BLOCK}};
    auto it = table.find(attribute);
    *value = it == table.end() ? 0 : it->second;
    return SUCCESS;
}

API CUresult cuCtxCreate_v2(CUcontext* out, unsigned, CUdevice device) {
    if (out == nullptr) {
        return INVALID_VALUE;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    *out = new Context();
    current = *out;
    return SUCCESS;
}

API CUresult cuDevicePrimaryCtxRetain(CUcontext* out, CUdevice device) {
    if (device != 0) {
        return INVALID_DEVICE;
    }
    std::lock_guard<std::mutex> lock(state_lock);
    if (primary == nullptr) {
        primary = new Context();
    }
    *out = primary;
    return SUCCESS;
}

API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice) {
    return SUCCESS;
}

API CUresult cuCtxDestroy_v2(CUcontext ctx) {
    if (ctx == nullptr) {
        return INVALID_CONTEXT;
    }
    for (auto& m : ctx->memory) {
        unregister_allocation(m.first);
        munmap(m.second.base, m.second.length);
    }
    for (Module* m : ctx->modules) {
        for (Function* f : m->functions) {
            delete f;
        }
        delete m;
    }
    if (current == ctx) {
        current = nullptr;
    }
    if (ctx == primary) {
        primary = nullptr;
    }
    delete ctx;
    return SUCCESS;
}

API CUresult cuCtxSetCurrent(CUcontext ctx) {
    current = ctx;
    return SUCCESS;
}

API CUresult cuCtxGetCurrent(CUcontext* ctx) {
    *ctx = current;
    return SUCCESS;
}

API CUresult cuCtxPushCurrent_v2(CUcontext ctx) {
    current = ctx;
    return SUCCESS;
}

API CUresult cuCtxPopCurrent_v2(CUcontext* ctx) {
    if (ctx != nullptr) {
        *ctx = current;
    }
    current = nullptr;
    return SUCCESS;
}

API CUresult cuCtxGetDevice(CUdevice* device) {
    REQUIRE_CONTEXT(ctx);
    *device = 0;
    return SUCCESS;
}

API CUresult cuCtxSynchronize() {
    REQUIRE_CONTEXT(ctx);
    return SUCCESS;
}

API CUresult cuGetErrorName(CUresult code, const char** out);

API CUresult cuGetErrorString(CUresult code, const char** out) {
    if (out == nullptr) {
        return INVALID_VALUE;
    }
    // The simulator's report where it has one for this code: valid until the thread's next call of this function.
    static thread_local std::string text;
    if (current != nullptr && current->sticky == code && code != SUCCESS) {
        text = current->report;
        *out = text.c_str();
        return SUCCESS;
    }
    if (last_code == code && code != SUCCESS) {
        text = last_detail;
        *out = text.c_str();
        return SUCCESS;
    }
    switch (code) {
        case SUCCESS:
            *out = "no error";
            break;
        case INVALID_VALUE:
            *out = "invalid argument";
            break;
        case OUT_OF_MEMORY:
            *out = "out of memory";
            break;
        case INVALID_CONTEXT:
            *out = "invalid device context";
            break;
        case ILLEGAL_ADDRESS:
            *out = "an illegal memory access was encountered";
            break;
        case LAUNCH_FAILED:
            *out = "unspecified launch failure";
            break;
        case LAUNCH_OUT_OF_RESOURCES:
            *out = "too many resources requested for launch";
            break;
        default:
            *out = "simulated GPU error";
            break;
    }
    return SUCCESS;
}

API CUresult cuGetErrorName(CUresult code, const char** out) {
    static const std::map<int, const char*> names = {
        {SUCCESS, "CUDA_SUCCESS"}, {INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE"}, {OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY"},
        {NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED"}, {NO_DEVICE, "CUDA_ERROR_NO_DEVICE"},
        {INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE"}, {INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE"},
        {INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT"}, {NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
        {INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE"}, {NOT_FOUND, "CUDA_ERROR_NOT_FOUND"}, {NOT_READY, "CUDA_ERROR_NOT_READY"},
        {ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS"}, {LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"},
        {LAUNCH_TIMEOUT, "CUDA_ERROR_LAUNCH_TIMEOUT"}, {ASSERT, "CUDA_ERROR_ASSERT"}, {LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED"},
        {NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED"}, {STREAM_CAPTURE_UNSUPPORTED, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"},
        {STREAM_CAPTURE_INVALIDATED, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"},
        {STREAM_CAPTURE_UNMATCHED, "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED"}, {UNKNOWN, "CUDA_ERROR_UNKNOWN"}};
    auto it = names.find(code);
    if (it == names.end()) {
        return INVALID_VALUE;
    }
    *out = it->second;
    return SUCCESS;
}

// ---- memory

API CUresult cuMemGetInfo_v2(size_t* free, size_t* total) {
    REQUIRE_CONTEXT(ctx);
    *total = capacity();
    *free = capacity() - std::min(capacity(), ctx->used);
    return SUCCESS;
}

API CUresult cuMemAlloc_v2(CUdeviceptr* out, size_t bytes) {
    REQUIRE_CONTEXT(ctx);
    if (out == nullptr || bytes == 0) {
        return INVALID_VALUE;
    }
    if (bytes > capacity() - std::min(capacity(), ctx->used)) {
        return OUT_OF_MEMORY;
    }
    size_t length = (bytes + page() - 1) / page() * page() + page();
    void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) {
        return OUT_OF_MEMORY;
    }
    uint8_t* guard = static_cast<uint8_t*>(base) + length - page();
    mprotect(guard, page(), PROT_NONE);
    uintptr_t start = reinterpret_cast<uintptr_t>(guard) - bytes;  // the last byte abuts the no-access page
    ctx->memory[start] = Mapping{base, length, bytes};
    ctx->used += bytes;
    register_allocation(start, bytes);
    *out = start;
    return SUCCESS;
}

API CUresult cuMemFree_v2(CUdeviceptr p) {
    REQUIRE_CONTEXT(ctx);
    auto it = ctx->memory.find(p);
    if (it == ctx->memory.end()) {
        return INVALID_VALUE;
    }
    unregister_allocation(p);
    munmap(it->second.base, it->second.length);
    ctx->used -= it->second.size;
    ctx->memory.erase(it);
    return SUCCESS;
}

API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t n) {
    REQUIRE_CONTEXT(ctx);
    return copy(ctx, dst, reinterpret_cast<uintptr_t>(src), n, true, false, nullptr);
}

API CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t n) {
    REQUIRE_CONTEXT(ctx);
    return copy(ctx, reinterpret_cast<uintptr_t>(dst), src, n, false, true, nullptr);
}

API CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    REQUIRE_CONTEXT(ctx);
    return copy(ctx, dst, src, n, true, true, nullptr);
}

API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, CUstream s) {
    REQUIRE_CONTEXT(ctx);
    return copy(ctx, dst, reinterpret_cast<uintptr_t>(src), n, true, false, s);
}

API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, CUstream s) {
    REQUIRE_CONTEXT(ctx);
    return copy(ctx, reinterpret_cast<uintptr_t>(dst), src, n, false, true, s);
}

API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
    REQUIRE_CONTEXT(ctx);
    return copy(ctx, dst, src, n, true, true, s);
}

API CUresult cuMemsetD8_v2(CUdeviceptr dst, unsigned char value, size_t n) {
    REQUIRE_CONTEXT(ctx);
    return set(ctx, dst, value, n, 1, nullptr);
}

API CUresult cuMemsetD32_v2(CUdeviceptr dst, unsigned value, size_t n) {
    REQUIRE_CONTEXT(ctx);
    return set(ctx, dst, value, n, 4, nullptr);
}

API CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t n, CUstream s) {
    REQUIRE_CONTEXT(ctx);
    return set(ctx, dst, value, n, 1, s);
}

API CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t n, CUstream s) {
    REQUIRE_CONTEXT(ctx);
    return set(ctx, dst, value, n, 4, s);
}

/** Whether [p, p + n) is device memory of ctx (for the copies that take either kind of pointer). */
bool is_device(Context* ctx, uintptr_t p) {
    auto it = ctx->memory.upper_bound(p);
    return it != ctx->memory.begin() && p < std::prev(it)->first + std::prev(it)->second.size;
}

API CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    REQUIRE_CONTEXT(ctx);
    return copy(ctx, dst, src, n, is_device(ctx, dst), is_device(ctx, src), nullptr);
}

API CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) {
    REQUIRE_CONTEXT(ctx);
    return copy(ctx, dst, src, n, is_device(ctx, dst), is_device(ctx, src), s);
}

// Page-locked host memory is ordinary host memory here.
API CUresult cuMemAllocHost_v2(void** p, size_t bytes) {
    REQUIRE_CONTEXT(ctx);
    if (p == nullptr || bytes == 0) {
        return INVALID_VALUE;
    }
    *p = std::aligned_alloc(page(), (bytes + page() - 1) / page() * page());
    return *p == nullptr ? OUT_OF_MEMORY : SUCCESS;
}

API CUresult cuMemHostAlloc(void** p, size_t bytes, unsigned) {
    return cuMemAllocHost_v2(p, bytes);
}

API CUresult cuMemFreeHost(void* p) {
    std::free(p);
    return SUCCESS;
}

// ---- modules and functions

API CUresult cuModuleLoadData(CUmodule* out, const void* image) {
    REQUIRE_CONTEXT(ctx);
    if (out == nullptr || image == nullptr) {
        return INVALID_VALUE;
    }
    std::vector<CubinKernel> kernels;
    std::string detail;
    Result r = parse_image(image, kernels, detail);
    if (r != SUCCESS) {
        return fail(r, detail);
    }
    std::set<std::string> wanted;
    for (const CubinKernel& k : kernels) {
        wanted.insert(k.name);
    }
    const HostModule* match = nullptr;
    std::string known;
    for (const HostModule& m : host_modules()) {
        std::set<std::string> names = names_of(m);
        known += (known.empty() ? "" : "; ") + m.path + " " + join(names);
        if (names == wanted) {
            match = &m;
        }
    }
    if (match == nullptr) {
        return fail(INVALID_IMAGE, format("no host module has the kernels %s of this fatbin (host modules: %s; directories: %s)",
                                          join(wanted).c_str(), known.empty() ? "none" : known.c_str(), module_dirs().c_str()));
    }
    Module* module = new Module();
    for (CubinKernel& k : kernels) {
        const d4j_sim_kernel* host = nullptr;
        for (unsigned i = 0; i < match->count; ++i) {
            if (k.name == match->kernels[i].name) {
                host = &match->kernels[i];
            }
        }
        std::string mismatch = compare_params(k, *host);
        if (!mismatch.empty()) {
            delete module;
            return fail(INVALID_IMAGE, "the host module " + match->path + " does not match the fatbin: " + mismatch);
        }
        int dynamic = SHARED_DEFAULT - static_cast<int>(k.static_shared);
        module->functions.push_back(new Function{module, std::move(k), host, dynamic});
    }
    ctx->modules.push_back(module);
    *out = module;
    return SUCCESS;
}

API CUresult cuModuleLoadDataEx(CUmodule* out, const void* image, unsigned, void*, void**) {
    return cuModuleLoadData(out, image);
}

API CUresult cuModuleUnload(CUmodule) {
    return SUCCESS;  // functions stay valid until the context is destroyed
}

API CUresult cuModuleGetFunction(CUfunction* out, CUmodule module, const char* name) {
    REQUIRE_CONTEXT(ctx);
    if (module == nullptr || out == nullptr || name == nullptr) {
        return INVALID_VALUE;
    }
    for (Function* f : module->functions) {
        if (f->kernel.name == name) {
            *out = f;
            return SUCCESS;
        }
    }
    return NOT_FOUND;
}

API CUresult cuFuncSetAttribute(CUfunction f, int attribute, int value) {
    REQUIRE_CONTEXT(ctx);
    if (f == nullptr) {
        return INVALID_HANDLE;
    }
    if (attribute == 8) {  // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
        if (value < 0 || value + static_cast<long long>(f->kernel.static_shared) > SHARED_OPTIN) {
            return fail(INVALID_VALUE, format("%s: %d bytes of dynamic shared memory plus %u static exceed the %d bytes a block may use",
                                              f->kernel.name.c_str(), value, f->kernel.static_shared, SHARED_OPTIN));
        }
        f->max_dynamic_shared = value;
        return SUCCESS;
    }
    if (attribute == 9) {  // CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT
        return value >= -1 && value <= 100 ? SUCCESS : INVALID_VALUE;
    }
    return INVALID_VALUE;
}

API CUresult cuFuncGetAttribute(int* value, int attribute, CUfunction f) {
    REQUIRE_CONTEXT(ctx);
    if (f == nullptr || value == nullptr) {
        return INVALID_VALUE;
    }
    switch (attribute) {
        case 0:
            *value = max_threads(f->kernel);
            return SUCCESS;
        case 1:
            *value = static_cast<int>(f->kernel.static_shared);
            return SUCCESS;
        case 2:
        case 3:
            *value = 0;
            return SUCCESS;
        case 4:
            *value = f->kernel.registers;
            return SUCCESS;
        case 5:
        case 6:
            *value = 90;
            return SUCCESS;
        case 8:
            *value = f->max_dynamic_shared;
            return SUCCESS;
        default:
            return INVALID_VALUE;
    }
}

// ---- launches

API CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                            unsigned shared, CUstream stream, void** params, void** extra) {
    REQUIRE_CONTEXT(ctx);
    unsigned grid[3] = {gx, gy, gz};
    unsigned block[3] = {bx, by, bz};
    if (Result r = check_launch(f, grid, block, shared); r != SUCCESS) {
        return r;
    }
    if (extra != nullptr) {
        return fail(NOT_SUPPORTED, "launch of " + f->kernel.name + ": the extra parameter buffer is not supported");
    }
    if (params == nullptr && !f->kernel.params.empty()) {
        return fail(INVALID_VALUE, "launch of " + f->kernel.name + " without its parameters");
    }
    if (stream != nullptr && stream->capturing) {
        Node n(Node::KERNEL);
        n.function = f;
        std::copy(grid, grid + 3, n.grid);
        std::copy(block, block + 3, n.block);
        n.shared = shared;
        n.params.resize(f->kernel.param_bytes);
        for (size_t i = 0; i < f->kernel.params.size(); ++i) {
            const Param& p = f->kernel.params[i];
            std::memcpy(n.params.data() + p.offset, params[i], p.size);
        }
        stream->graph->nodes.push_back(std::move(n));
        return SUCCESS;
    }
    KernelCall call{f->host, params};
    execute(ctx, f->kernel.name.c_str(), grid, block, shared, &call_kernel, &call);
    return SUCCESS;
}

/** The launch of a kernel compiled into a host program (the runtime-API header's launch macro). */
API CUresult d4j_sim_launch(const char* name, const unsigned grid[3], const unsigned block[3], size_t shared,
                            void (*body)(void*), void* arg) {
    REQUIRE_CONTEXT(ctx);
    long long threads = static_cast<long long>(block[0]) * block[1] * block[2];
    if (threads < 1 || threads > MAX_THREADS_PER_BLOCK || grid[0] < 1 || grid[1] < 1 || grid[2] < 1 || shared > SHARED_OPTIN) {
        return fail(INVALID_VALUE, format("launch of %s: grid (%u,%u,%u), block (%u,%u,%u), %zu shared bytes is out of range",
                                          name, grid[0], grid[1], grid[2], block[0], block[1], block[2], shared));
    }
    execute(ctx, name, grid, block, shared, body, arg);
    return SUCCESS;
}

// ---- events

API CUresult cuEventCreate(CUevent* out, unsigned) {
    REQUIRE_CONTEXT(ctx);
    *out = new Event();
    return SUCCESS;
}

API CUresult cuEventRecord(CUevent e, CUstream) {
    REQUIRE_CONTEXT(ctx);
    if (e == nullptr) {
        return INVALID_HANDLE;
    }
    e->at = std::chrono::steady_clock::now();
    e->recorded = true;
    return SUCCESS;
}

API CUresult cuEventRecordWithFlags(CUevent e, CUstream s, unsigned) {
    return cuEventRecord(e, s);
}

API CUresult cuEventSynchronize(CUevent e) {
    REQUIRE_CONTEXT(ctx);
    return e == nullptr ? INVALID_HANDLE : SUCCESS;
}

API CUresult cuEventQuery(CUevent e) {
    REQUIRE_CONTEXT(ctx);
    return e == nullptr ? INVALID_HANDLE : SUCCESS;
}

API CUresult cuEventElapsedTime(float* ms, CUevent start, CUevent end) {
    REQUIRE_CONTEXT(ctx);
    if (start == nullptr || end == nullptr || !start->recorded || !end->recorded) {
        return INVALID_HANDLE;
    }
    *ms = std::chrono::duration<float, std::milli>(end->at - start->at).count();
    return SUCCESS;
}

API CUresult cuEventDestroy_v2(CUevent e) {
    delete e;
    return SUCCESS;
}

// ---- streams, capture and graphs

API CUresult cuStreamCreate(CUstream* out, unsigned) {
    REQUIRE_CONTEXT(ctx);
    *out = new Stream();
    return SUCCESS;
}

API CUresult cuStreamCreateWithPriority(CUstream* out, unsigned flags, int) {
    return cuStreamCreate(out, flags);
}

API CUresult cuStreamDestroy_v2(CUstream s) {
    if (s == nullptr) {
        return INVALID_HANDLE;
    }
    delete s->graph;
    delete s;
    return SUCCESS;
}

API CUresult cuStreamSynchronize(CUstream s) {
    REQUIRE_CONTEXT(ctx);
    if (s != nullptr && s->capturing) {
        return STREAM_CAPTURE_UNSUPPORTED;
    }
    return SUCCESS;
}

API CUresult cuStreamQuery(CUstream) {
    REQUIRE_CONTEXT(ctx);
    return SUCCESS;
}

API CUresult cuStreamWaitEvent(CUstream, CUevent, unsigned) {
    REQUIRE_CONTEXT(ctx);
    return SUCCESS;
}

API CUresult cuStreamBeginCapture_v2(CUstream s, int) {
    REQUIRE_CONTEXT(ctx);
    if (s == nullptr) {
        return fail(STREAM_CAPTURE_UNSUPPORTED, "the legacy default stream cannot be captured");
    }
    if (s->capturing) {
        return fail(STREAM_CAPTURE_UNMATCHED, "the stream is already capturing");
    }
    s->capturing = true;
    s->graph = new Graph();
    return SUCCESS;
}

API CUresult cuStreamEndCapture(CUstream s, CUgraph* graph) {
    REQUIRE_CONTEXT(ctx);
    if (s == nullptr || !s->capturing) {
        return fail(STREAM_CAPTURE_UNMATCHED, "cuStreamEndCapture on a stream that is not capturing");
    }
    s->capturing = false;
    *graph = s->graph;
    s->graph = nullptr;
    return SUCCESS;
}

API CUresult cuStreamIsCapturing(CUstream s, int* status) {
    REQUIRE_CONTEXT(ctx);
    *status = s != nullptr && s->capturing ? 1 : 0;  // CU_STREAM_CAPTURE_STATUS_ACTIVE / NONE
    return SUCCESS;
}

API CUresult cuGraphInstantiateWithFlags(CUgraphExec* out, CUgraph graph, unsigned long long) {
    REQUIRE_CONTEXT(ctx);
    if (graph == nullptr || out == nullptr) {
        return INVALID_VALUE;
    }
    *out = new Graph(*graph);
    return SUCCESS;
}

API CUresult cuGraphUpload(CUgraphExec, CUstream) {
    REQUIRE_CONTEXT(ctx);
    return SUCCESS;
}

API CUresult cuGraphLaunch(CUgraphExec exec, CUstream s) {
    REQUIRE_CONTEXT(ctx);
    if (exec == nullptr) {
        return INVALID_HANDLE;
    }
    if (s != nullptr && s->capturing) {
        return fail(STREAM_CAPTURE_UNSUPPORTED, "launching a graph into a capturing stream is not simulated");
    }
    for (Node& n : exec->nodes) {
        run_node(ctx, n);
    }
    return SUCCESS;
}

API CUresult cuGraphDestroy(CUgraph g) {
    delete g;
    return SUCCESS;
}

API CUresult cuGraphExecDestroy(CUgraphExec g) {
    delete g;
    return SUCCESS;
}

// ---- occupancy

API CUresult cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(int* blocks, CUfunction f, int threads, size_t dynamic, unsigned) {
    REQUIRE_CONTEXT(ctx);
    if (f == nullptr || blocks == nullptr) {
        return INVALID_VALUE;
    }
    *blocks = blocks_per_sm(*f, threads, dynamic);
    return SUCCESS;
}

API CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, CUfunction f, int threads, size_t dynamic) {
    return cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(blocks, f, threads, dynamic, 0);
}

API CUresult cuOccupancyMaxPotentialBlockSizeWithFlags(int* min_grid, int* block, CUfunction f, CUoccupancyB2DSize dynamic_of,
                                                       size_t dynamic, int limit, unsigned) {
    REQUIRE_CONTEXT(ctx);
    if (f == nullptr || min_grid == nullptr || block == nullptr) {
        return INVALID_VALUE;
    }
    int top = std::min(max_threads(f->kernel), limit > 0 ? limit : MAX_THREADS_PER_BLOCK);
    int best_block = 0;
    int best_warps = -1;
    int best_blocks = 0;
    for (int t = top / WARP * WARP; t >= WARP; t -= WARP) {
        size_t d = dynamic_of != nullptr ? dynamic_of(t) : dynamic;
        int b = blocks_per_sm(*f, t, d);
        int warps = b * (t / WARP);
        if (warps > best_warps) {
            best_warps = warps;
            best_block = t;
            best_blocks = b;
        }
    }
    *block = best_block;
    *min_grid = best_blocks * SM_COUNT;
    return SUCCESS;
}

API CUresult cuOccupancyMaxPotentialBlockSize(int* min_grid, int* block, CUfunction f, CUoccupancyB2DSize dynamic_of, size_t dynamic,
                                              int limit) {
    return cuOccupancyMaxPotentialBlockSizeWithFlags(min_grid, block, f, dynamic_of, dynamic, limit, 0);
}

API CUresult cuOccupancyAvailableDynamicSMemPerBlock(size_t* bytes, CUfunction f, int blocks, int threads) {
    REQUIRE_CONTEXT(ctx);
    if (f == nullptr || bytes == nullptr || blocks < 1) {
        return INVALID_VALUE;
    }
    (void)threads;
    long long per_block = SHARED_PER_SM / blocks - SHARED_RESERVED_PER_BLOCK - static_cast<long long>(f->kernel.static_shared);
    per_block = per_block / SHARED_ALLOCATION_UNIT * SHARED_ALLOCATION_UNIT;
    *bytes = static_cast<size_t>(std::max(0LL, std::min<long long>(per_block, SHARED_OPTIN - f->kernel.static_shared)));
    return SUCCESS;
}
