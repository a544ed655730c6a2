// The executor of the simulated GPU: a grid's blocks run on a pool of worker threads, one block at a time per
// worker; a block's CUDA threads are fibers on its worker, switched by a small hand-written context switch
// (callee-saved registers and the stack pointer: about 10x faster than glibc's swapcontext, which makes a system
// call per switch).
//
// A fiber runs until it reaches __syncthreads, a warp collective, or its end; then the next runnable fiber of the
// block runs, in thread order. The last thread to reach a barrier releases it; the last lane of a mask to reach a
// collective computes every lane's result. Misuse ends the block with a one-line report: a barrier that some
// threads reach at another call site or never reach (exited), a collective whose mask leaves out the caller,
// names lanes that exited, or disagrees between lanes, a shuffle from a lane outside the mask, and a deadlock (no
// thread can run). Faults (an access past the end of an allocation or of the dynamic shared memory, both against
// a no-access page; a fiber's stack overflow) are caught by a SIGSEGV handler, which ends the block with a
// memcheck-like report naming the kernel, block, thread and byte offset; other faults go to the handler that was
// installed before (the JVM's).
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "d4j_sim/device.h"
#include "sim.h"

thread_local uint3 threadIdx;
thread_local uint3 blockIdx;
thread_local dim3 blockDim;
thread_local dim3 gridDim;

extern "C" {
void d4j_sim_switch(void** save_sp, void* next_sp);
void d4j_sim_fiber_start();
}

// d4j_sim_switch(save, next): pushes the callee-saved registers and the SSE/x87 control words, stores the stack
// pointer in *save, loads `next` and pops the same from it. A new fiber's stack is laid out as if it had switched
// away at d4j_sim_fiber_start, which calls r13(r12).
asm(R"(
    .text
    .globl d4j_sim_switch
    .hidden d4j_sim_switch
    .type d4j_sim_switch, @function
d4j_sim_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size d4j_sim_switch, .-d4j_sim_switch

    .globl d4j_sim_fiber_start
    .hidden d4j_sim_fiber_start
    .type d4j_sim_fiber_start, @function
d4j_sim_fiber_start:
    movq %r12, %rdi
    callq *%r13
    ud2
    .size d4j_sim_fiber_start, .-d4j_sim_fiber_start
)");

namespace sim {

namespace {

enum State { RUNNABLE, AT_BARRIER, AT_WARP, EXITED };

struct Fiber {
    void* sp = nullptr;
    uint8_t* stack_top = nullptr;
    State state = RUNNABLE;
    uint3 tid{0, 0, 0};
    const char* site = nullptr;
    int kind = 0;
    unsigned mask = 0;
    uint64_t value = 0;
    int arg = 0;
    int width = 32;
    uint64_t result = 0;
};

struct Stack {
    uint8_t* base;  // the no-access page; the stack is above it
    size_t size;
};

constexpr int MAX_WORKERS = 256;

struct Worker {
    pthread_t thread{};
    void* sched_sp = nullptr;
    Fiber* fibers = nullptr;
    std::vector<Stack> stacks;
    int threads = 0;  // of the current block
    int current = -1;
    int live = 0;
    int arrived = 0;
    bool failed = false;
    volatile sig_atomic_t in_fiber = 0;
    const Grid* grid = nullptr;
    uint8_t* shared_end = nullptr;  // the no-access page after the dynamic shared memory
    uint8_t* altstack = nullptr;
    Result fault_code = SUCCESS;
    char fault_report[512] = {0};
};

size_t page_size() {
    static const size_t p = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    return p;
}

size_t round_up(size_t v, size_t unit) {
    return (v + unit - 1) / unit * unit;
}

size_t env_size(const char* name, size_t fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        return fallback;
    }
    char* end = nullptr;
    unsigned long long n = std::strtoull(v, &end, 10);
    return n > 0 ? static_cast<size_t>(n) : fallback;
}

// ---- the pool

struct Pool {
    std::mutex launch;  // one grid at a time
    std::mutex m;
    std::condition_variable work;
    std::condition_variable done;
    uint64_t generation = 0;
    const Grid* grid = nullptr;
    std::atomic<long long> next{0};
    long long blocks = 0;
    int running = 0;
    std::atomic<bool> failed{false};
    Result result = SUCCESS;
    std::string report;
    int size = 0;
};

// Never destroyed: the workers wait on its condition variables until the process ends.
Pool& pool = *new Pool();
Worker* workers[MAX_WORKERS];
std::atomic<int> worker_count{0};
thread_local Worker* tls_worker = nullptr;
struct sigaction previous_segv;
struct sigaction previous_bus;

/** The worker running on the calling thread, or null; async-signal-safe (no TLS, no locks). */
Worker* worker_of_this_thread() {
    pthread_t self = pthread_self();
    int n = worker_count.load(std::memory_order_acquire);
    for (int i = 0; i < n; ++i) {
        if (pthread_equal(workers[i]->thread, self)) {
            return workers[i];
        }
    }
    return nullptr;
}

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return buf;
}

std::string where(const Worker& w, int fiber) {
    const uint3& t = w.fibers[fiber].tid;
    return format("in %s, block (%u,%u,%u), thread (%u,%u,%u)", w.grid->kernel, blockIdx.x, blockIdx.y, blockIdx.z, t.x, t.y, t.z);
}

std::string block_name(const Worker& w) {
    return format("in %s, block (%u,%u,%u)", w.grid->kernel, blockIdx.x, blockIdx.y, blockIdx.z);
}

std::string thread_name(const Worker& w, int fiber) {
    const uint3& t = w.fibers[fiber].tid;
    return format("(%u,%u,%u)", t.x, t.y, t.z);
}

const char* kind_name(int kind) {
    switch (kind) {
        case D4J_WARP_SYNC:
            return "__syncwarp";
        case D4J_WARP_SHFL:
            return "__shfl_sync";
        case D4J_WARP_SHFL_UP:
            return "__shfl_up_sync";
        case D4J_WARP_SHFL_DOWN:
            return "__shfl_down_sync";
        case D4J_WARP_SHFL_XOR:
            return "__shfl_xor_sync";
        case D4J_WARP_BALLOT:
            return "__ballot_sync";
        case D4J_WARP_ANY:
            return "__any_sync";
        case D4J_WARP_ALL:
            return "__all_sync";
        case D4J_WARP_MMA_TF32:
            return "mma.sync.m16n8k8.tf32";
        case D4J_WARP_MMA_TF32_K4:
            return "mma.sync.m16n8k4.tf32";
        default:
            return "a warp collective";
    }
}

/** Records the first failure of the grid. */
void record_failure(Worker& w, Result code, const std::string& report) {
    w.failed = true;
    std::lock_guard<std::mutex> lock(pool.m);
    if (!pool.failed.load()) {
        pool.result = code;
        pool.report = report;
        pool.failed.store(true);
    }
}

/** Ends the calling fiber's block with a report; returns to the worker's scheduler and never comes back. */
[[noreturn]] void abort_fiber(Worker& w, Result code, const std::string& report) {
    record_failure(w, code, report);
    Fiber& f = w.fibers[w.current];
    d4j_sim_switch(&f.sp, w.sched_sp);
    std::abort();
}

void yield(Worker& w) {
    Fiber& f = w.fibers[w.current];
    d4j_sim_switch(&f.sp, w.sched_sp);
}

// ---- barriers

/** Called when every live thread has arrived: checks the sites and that no thread exited, then releases. */
void complete_barrier(Worker& w) {
    int first = -1;
    int exited = -1;
    for (int i = 0; i < w.threads; ++i) {
        Fiber& f = w.fibers[i];
        if (f.state == EXITED) {
            if (exited < 0) {
                exited = i;
            }
            continue;
        }
        if (first < 0) {
            first = i;
        } else if (std::strcmp(f.site, w.fibers[first].site) != 0) {
            abort_fiber(w, LAUNCH_FAILED,
                        format("divergent __syncthreads %s: thread %s waits at %s, thread %s at %s", block_name(w).c_str(),
                               thread_name(w, first).c_str(), w.fibers[first].site, thread_name(w, i).c_str(), f.site));
        }
    }
    if (exited >= 0) {
        abort_fiber(w, LAUNCH_FAILED,
                    format("__syncthreads at %s %s is reached by %d of %d threads: thread %s has exited, the barrier never completes",
                           w.fibers[first].site, block_name(w).c_str(), w.arrived, w.threads, thread_name(w, exited).c_str()));
    }
    for (int i = 0; i < w.threads; ++i) {
        w.fibers[i].state = RUNNABLE;
    }
    w.arrived = 0;
}

// ---- warp collectives

int lanes_of_warp(const Worker& w, int base) {
    return std::min(WARP, w.threads - base);
}

/**
 * A TF32 operand as the tensor core reads it after cvt.rna.tf32.f32: round to nearest, ties away from zero, to 10
 * mantissa bits (the low 13 bits cleared); inf and NaN unchanged. Written here apart from the kernels' tf32_bits, so a
 * kernel that skips or botches its own rounding is caught.
 */
float rna_tf32(unsigned bits) {
    if ((bits & 0x7f800000u) != 0x7f800000u) {
        unsigned magnitude = bits & 0x7fffffffu;
        unsigned low = magnitude & 0x1fffu;
        magnitude &= ~0x1fffu;
        if (low >= 0x1000u) {
            magnitude += 0x2000u;  // a carry into the exponent is right, up to inf
        }
        bits = (bits & 0x80000000u) | magnitude;
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

/**
 * mma.sync.aligned.m16n8k8 (kdim 8) or m16n8k4 (kdim 4).row.col.f32.tf32.tf32.f32 of a whole warp: A, B and C gathered
 * from the lanes' fragments (g = lane / 4, t = lane % 4: k8 a = {A[g][t], A[g+8][t], A[g][t+4], A[g+8][t+4]},
 * b = {B[t][g], B[t+4][g]}; k4 a = {A[g][t], A[g+8][t]}, b = {B[t][g]}; c = {C[g][2t], C[g][2t+1], C[g+8][2t],
 * C[g+8][2t+1]}), then D[i][n] = C[i][n] + sum over k < kdim of A[i][k] B[k][n], each product of TF32 operands fused
 * into the FP32 sum in k order; D scattered back as C was.
 */
void complete_mma(Worker& w, int base, int kdim) {
    float A[16][8], B[8][8], C[16][8];
    for (int lane = 0; lane < WARP; ++lane) {
        const d4j_sim_mma_lane& f = *reinterpret_cast<const d4j_sim_mma_lane*>(w.fibers[base + lane].value);
        int g = lane / 4;
        int t = lane % 4;
        A[g][t] = rna_tf32(f.a[0]);
        A[g + 8][t] = rna_tf32(f.a[1]);
        B[t][g] = rna_tf32(f.b[0]);
        if (kdim == 8) {
            A[g][t + 4] = rna_tf32(f.a[2]);
            A[g + 8][t + 4] = rna_tf32(f.a[3]);
            B[t + 4][g] = rna_tf32(f.b[1]);
        }
        C[g][2 * t] = f.d[0];
        C[g][2 * t + 1] = f.d[1];
        C[g + 8][2 * t] = f.d[2];
        C[g + 8][2 * t + 1] = f.d[3];
    }
    for (int i = 0; i < 16; ++i) {
        for (int n = 0; n < 8; ++n) {
            float s = C[i][n];
            for (int k = 0; k < kdim; ++k) {
                s = std::fma(A[i][k], B[k][n], s);
            }
            C[i][n] = s;
        }
    }
    for (int lane = 0; lane < WARP; ++lane) {
        const d4j_sim_mma_lane& f = *reinterpret_cast<const d4j_sim_mma_lane*>(w.fibers[base + lane].value);
        int g = lane / 4;
        int t = lane % 4;
        f.d[0] = C[g][2 * t];
        f.d[1] = C[g][2 * t + 1];
        f.d[2] = C[g + 8][2 * t];
        f.d[3] = C[g + 8][2 * t + 1];
        w.fibers[base + lane].result = 0;
    }
}

/** Completes a collective when every lane of the mask has arrived at one with the same kind, mask and width. */
void try_complete_warp(Worker& w, int base, int caller_lane) {
    const Fiber& caller = w.fibers[base + caller_lane];
    unsigned mask = caller.mask;
    for (int j = 0; j < WARP; ++j) {
        if (!(mask >> j & 1u)) {
            continue;
        }
        const Fiber& g = w.fibers[base + j];
        if (g.state == EXITED) {
            abort_fiber(w, LAUNCH_FAILED,
                        format("%s at %s %s: mask 0x%08x names lane %d, which has exited", kind_name(caller.kind), caller.site,
                               where(w, base + caller_lane).c_str(), mask, j));
        }
        if (g.state != AT_WARP) {
            return;
        }
        if (g.kind != caller.kind || g.mask != mask || g.width != caller.width) {
            abort_fiber(w, LAUNCH_FAILED,
                        format("warp collectives disagree %s: lane %d calls %s(mask 0x%08x, width %d) at %s, lane %d calls "
                               "%s(mask 0x%08x, width %d) at %s",
                               block_name(w).c_str(), caller_lane, kind_name(caller.kind), mask, caller.width, caller.site, j,
                               kind_name(g.kind), g.mask, g.width, g.site));
        }
    }
    if (caller.kind == D4J_WARP_MMA_TF32 || caller.kind == D4J_WARP_MMA_TF32_K4) {
        complete_mma(w, base, caller.kind == D4J_WARP_MMA_TF32 ? 8 : 4);
        for (int j = 0; j < WARP; ++j) {
            w.fibers[base + j].state = RUNNABLE;
        }
        return;
    }
    uint64_t ballot = 0;
    for (int j = 0; j < WARP; ++j) {
        if ((mask >> j & 1u) && w.fibers[base + j].value != 0) {
            ballot |= 1ull << j;
        }
    }
    for (int j = 0; j < WARP; ++j) {
        if (!(mask >> j & 1u)) {
            continue;
        }
        Fiber& g = w.fibers[base + j];
        int width = g.width;
        int segment = j & ~(width - 1);
        int src = j;
        switch (g.kind) {
            case D4J_WARP_SHFL:
                src = segment + (((g.arg % width) + width) % width);
                break;
            case D4J_WARP_SHFL_UP:
                src = (j - segment) >= g.arg ? j - g.arg : j;
                break;
            case D4J_WARP_SHFL_DOWN:
                src = (j - segment) + g.arg < width ? j + g.arg : j;
                break;
            case D4J_WARP_SHFL_XOR:
                src = j ^ g.arg;
                if (src < 0 || src >= WARP || (src & ~(width - 1)) > segment) {
                    src = j;
                }
                break;
            default:
                break;
        }
        switch (g.kind) {
            case D4J_WARP_SYNC:
                g.result = 0;
                break;
            case D4J_WARP_BALLOT:
                g.result = ballot;
                break;
            case D4J_WARP_ANY:
                g.result = ballot != 0;
                break;
            case D4J_WARP_ALL:
                g.result = ballot == mask;
                break;
            default:
                if (!(mask >> src & 1u)) {
                    abort_fiber(w, LAUNCH_FAILED,
                                format("%s at %s %s: lane %d reads lane %d, which is not in the mask 0x%08x", kind_name(g.kind),
                                       g.site, block_name(w).c_str(), j, src, mask));
                }
                g.result = w.fibers[base + src].value;
                break;
        }
    }
    for (int j = 0; j < WARP; ++j) {
        if (mask >> j & 1u) {
            w.fibers[base + j].state = RUNNABLE;
        }
    }
}

std::string deadlock_report(Worker& w) {
    std::map<std::string, int> at_barrier;
    std::string warp_detail;
    int exited = 0;
    for (int i = 0; i < w.threads; ++i) {
        Fiber& f = w.fibers[i];
        if (f.state == AT_BARRIER) {
            at_barrier[f.site]++;
        } else if (f.state == EXITED) {
            exited++;
        } else if (f.state == AT_WARP && warp_detail.empty()) {
            int base = i - i % WARP;
            for (int j = 0; j < WARP; ++j) {
                if ((f.mask >> j & 1u) && w.fibers[base + j].state != AT_WARP) {
                    const Fiber& g = w.fibers[base + j];
                    warp_detail = format("thread %s waits at %s (%s) for lane %d of its mask 0x%08x, which %s%s",
                                         thread_name(w, i).c_str(), kind_name(f.kind), f.site, j, f.mask,
                                         g.state == EXITED ? "has exited" : "waits at __syncthreads ",
                                         g.state == EXITED ? "" : g.site);
                    break;
                }
            }
        }
    }
    std::string report = "deadlock " + block_name(w) + ":";
    if (!warp_detail.empty()) {
        report += " " + warp_detail + ";";
    }
    for (auto& e : at_barrier) {
        report += format(" %d thread(s) wait at __syncthreads %s;", e.second, e.first.c_str());
    }
    report += format(" %d of %d threads exited", exited, w.threads);
    return report;
}

// ---- fibers and blocks

void fiber_main(Worker* w) {
    w->grid->body(w->grid->arg);
    Fiber& f = w->fibers[w->current];
    f.state = EXITED;
    w->live--;
    if (w->arrived > 0 && w->arrived == w->live) {
        complete_barrier(*w);  // reports the threads that wait for this one
    }
    d4j_sim_switch(&f.sp, w->sched_sp);
    std::abort();
}

void fault_main() {
    Worker* w = tls_worker;
    abort_fiber(*w, w->fault_code, w->fault_report);
}

size_t stack_bytes() {
    static const size_t s = round_up(env_size("D4J_SIM_STACK_KIB", 256) * 1024, page_size());
    return s;
}

void ensure_stacks(Worker& w, int n) {
    while (static_cast<int>(w.stacks.size()) < n) {
        size_t size = stack_bytes();
        void* p = mmap(nullptr, size + page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            std::fprintf(stderr, "d4j-sim: cannot map a fiber stack\n");
            std::abort();
        }
        mprotect(p, page_size(), PROT_NONE);
        w.stacks.push_back(Stack{static_cast<uint8_t*>(p), size});
    }
}

void* initial_stack(uint8_t* top, void (*entry)(Worker*), Worker* w) {
    uint64_t* sp = reinterpret_cast<uint64_t*>(top) - 8;
    sp[0] = 0x037f00001f80ull;                                     // mxcsr (low), x87 control word (high)
    sp[1] = 0;                                                     // r15
    sp[2] = 0;                                                     // r14
    sp[3] = reinterpret_cast<uint64_t>(entry);                     // r13
    sp[4] = reinterpret_cast<uint64_t>(w);                         // r12
    sp[5] = 0;                                                     // rbx
    sp[6] = 0;                                                     // rbp
    sp[7] = reinterpret_cast<uint64_t>(&d4j_sim_fiber_start);     // return address
    return sp;
}

void run_block(Worker& w, long long b) {
    const Grid& g = *w.grid;
    blockIdx = uint3{static_cast<unsigned>(b % g.grid[0]), static_cast<unsigned>(b / g.grid[0] % g.grid[1]),
                     static_cast<unsigned>(b / (static_cast<long long>(g.grid[0]) * g.grid[1]))};
    int n = static_cast<int>(g.block[0] * g.block[1] * g.block[2]);
    ensure_stacks(w, n);
    w.threads = n;
    w.live = n;
    w.arrived = 0;
    w.failed = false;
    for (int i = 0; i < n; ++i) {
        Fiber& f = w.fibers[i];
        f.state = RUNNABLE;
        f.tid = uint3{static_cast<unsigned>(i % g.block[0]), static_cast<unsigned>(i / g.block[0] % g.block[1]),
                      static_cast<unsigned>(i / (g.block[0] * g.block[1]))};
        f.stack_top = w.stacks[i].base + page_size() + w.stacks[i].size;
        f.sp = initial_stack(f.stack_top, &fiber_main, &w);
    }
    if (g.dynamic_shared > 0) {
        std::memset(w.shared_end - g.dynamic_shared, 0xff, g.dynamic_shared);  // uninitialised: NaN / -1 patterns
    }
    while (w.live > 0 && !w.failed) {
        bool ran = false;
        for (int i = 0; i < n && !w.failed; ++i) {
            Fiber& f = w.fibers[i];
            if (f.state != RUNNABLE) {
                continue;
            }
            w.current = i;
            threadIdx = f.tid;
            w.in_fiber = 1;
            d4j_sim_switch(&w.sched_sp, f.sp);
            w.in_fiber = 0;
            ran = true;
        }
        if (!ran && !w.failed && w.live > 0) {
            record_failure(w, LAUNCH_FAILED, deadlock_report(w));
        }
    }
    w.current = -1;
}

// ---- faults

struct Allocation {
    uintptr_t start;
    size_t size;
};
std::mutex allocations_lock;
std::map<uintptr_t, Allocation> allocations;  // by the address of the no-access page after the allocation

void describe_fault(Worker& w, uintptr_t addr, bool write, char* out, size_t n) {
    const char* access = write ? "write" : "read";
    const uint3& t = w.fibers[w.current].tid;
    char who[256];
    std::snprintf(who, sizeof(who), "in %s, block (%u,%u,%u), thread (%u,%u,%u)", w.grid->kernel, blockIdx.x, blockIdx.y,
                  blockIdx.z, t.x, t.y, t.z);
    uintptr_t shared_end = reinterpret_cast<uintptr_t>(w.shared_end);
    if (addr >= shared_end && addr < shared_end + page_size()) {
        size_t size = w.grid->dynamic_shared;
        std::snprintf(out, n,
                      "invalid __shared__ %s %s: byte offset %zu of the block's %zu bytes of dynamic shared memory "
                      "(%zu bytes past its end)",
                      access, who, size + (addr - shared_end), size, addr - shared_end);
        return;
    }
    for (int i = 0; i < w.threads; ++i) {
        uintptr_t guard = reinterpret_cast<uintptr_t>(w.stacks[i].base);
        if (addr >= guard && addr < guard + page_size()) {
            std::snprintf(out, n, "stack overflow %s (a fiber stack has %zu KiB; D4J_SIM_STACK_KIB sets it)", who,
                          w.stacks[i].size / 1024);
            return;
        }
    }
    {
        std::lock_guard<std::mutex> lock(allocations_lock);
        auto it = allocations.upper_bound(addr);  // the first allocation ending above addr; the one before ends at or below
        if (it != allocations.begin()) {
            --it;
            const Allocation& a = it->second;
            if (addr >= it->first && addr < it->first + page_size()) {
                std::snprintf(out, n,
                              "invalid __global__ %s %s: address 0x%lx is byte offset %zu of a %zu-byte allocation at 0x%lx "
                              "(%zu bytes past its end)",
                              access, who, static_cast<unsigned long>(addr), addr - a.start, a.size,
                              static_cast<unsigned long>(a.start), addr - (a.start + a.size));
                return;
            }
        }
    }
    std::snprintf(out, n, "invalid __global__ %s %s: address 0x%lx is outside every allocation", access, who,
                  static_cast<unsigned long>(addr));
}

void chain(const struct sigaction& previous, int sig, siginfo_t* info, void* context) {
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction != nullptr) {
            previous.sa_sigaction(sig, info, context);
            return;
        }
    } else if (previous.sa_handler == SIG_IGN) {
        return;
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != nullptr) {
        previous.sa_handler(sig);
        return;
    }
    sigaction(sig, &previous, nullptr);  // default action: the faulting instruction runs again and ends the process
}

void on_fault(int sig, siginfo_t* info, void* context) {
    Worker* w = worker_of_this_thread();
    if (w == nullptr || !w->in_fiber) {
        chain(sig == SIGBUS ? previous_bus : previous_segv, sig, info, context);
        return;
    }
    auto* uc = static_cast<ucontext_t*>(context);
    uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    bool write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
    describe_fault(*w, addr, write, w->fault_report, sizeof(w->fault_report));
    w->fault_code = ILLEGAL_ADDRESS;
    // Resume in fault_main on the top of the fiber's stack, as if called there (rsp = 8 mod 16).
    uint8_t* top = w->fibers[w->current].stack_top;
    uc->uc_mcontext.gregs[REG_RSP] = reinterpret_cast<greg_t>(top - 64 - 8);
    uc->uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(&fault_main);
}

// ---- workers

void* worker_main(void* arg) {
    Worker* w = static_cast<Worker*>(arg);
    tls_worker = w;
    stack_t ss{};
    ss.ss_sp = w->altstack;
    ss.ss_size = 64 * 1024;
    sigaltstack(&ss, nullptr);
    uint64_t seen = 0;
    for (;;) {
        const Grid* grid;
        {
            std::unique_lock<std::mutex> lock(pool.m);
            pool.work.wait(lock, [&] { return pool.generation != seen; });
            seen = pool.generation;
            grid = pool.grid;
        }
        w->grid = grid;
        blockDim = dim3(grid->block[0], grid->block[1], grid->block[2]);
        gridDim = dim3(grid->grid[0], grid->grid[1], grid->grid[2]);
        while (!pool.failed.load(std::memory_order_relaxed)) {
            long long b = pool.next.fetch_add(1);
            if (b >= pool.blocks) {
                break;
            }
            run_block(*w, b);
        }
        std::lock_guard<std::mutex> lock(pool.m);
        if (--pool.running == 0) {
            pool.done.notify_all();
        }
    }
    return nullptr;
}

void start_pool() {
    size_t n = env_size("D4J_SIM_WORKERS", std::max(1u, std::thread::hardware_concurrency()));
    n = std::min<size_t>(n, MAX_WORKERS);
    struct sigaction sa {};
    sa.sa_sigaction = &on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous_segv);
    sigaction(SIGBUS, &sa, &previous_bus);
    size_t shared_map = round_up(SHARED_OPTIN, page_size());
    for (size_t i = 0; i < n; ++i) {
        Worker* w = new Worker();
        w->fibers = new Fiber[MAX_THREADS_PER_BLOCK];
        void* p = mmap(nullptr, shared_map + page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            std::fprintf(stderr, "d4j-sim: cannot map shared memory\n");
            std::abort();
        }
        w->shared_end = static_cast<uint8_t*>(p) + shared_map;
        mprotect(w->shared_end, page_size(), PROT_NONE);
        w->altstack = static_cast<uint8_t*>(std::malloc(64 * 1024));
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        workers[i] = w;
        pthread_create(&w->thread, &attr, &worker_main, w);
        pthread_attr_destroy(&attr);
    }
    // Publish only once every thread id is stored (the fault handler reads them without locks).
    for (size_t i = 0; i < n; ++i) {
        while (workers[i]->thread == pthread_t{}) {
        }
    }
    worker_count.store(static_cast<int>(n), std::memory_order_release);
    pool.size = static_cast<int>(n);
}

}  // namespace

Result run_grid(const Grid& grid, std::string& report) {
    std::lock_guard<std::mutex> launch(pool.launch);
    static std::once_flag started;
    std::call_once(started, start_pool);
    long long blocks = static_cast<long long>(grid.grid[0]) * grid.grid[1] * grid.grid[2];
    {
        std::lock_guard<std::mutex> lock(pool.m);
        pool.grid = &grid;
        pool.blocks = blocks;
        pool.next.store(0);
        pool.failed.store(false);
        pool.result = SUCCESS;
        pool.report.clear();
        pool.running = pool.size;
        pool.generation++;
    }
    pool.work.notify_all();
    std::unique_lock<std::mutex> lock(pool.m);
    pool.done.wait(lock, [] { return pool.running == 0; });
    report = pool.report;
    return pool.result;
}

void register_allocation(uintptr_t start, size_t size) {
    std::lock_guard<std::mutex> lock(allocations_lock);
    allocations[start + size] = Allocation{start, size};
}

void unregister_allocation(uintptr_t start) {
    std::lock_guard<std::mutex> lock(allocations_lock);
    for (auto it = allocations.begin(); it != allocations.end(); ++it) {
        if (it->second.start == start) {
            allocations.erase(it);
            return;
        }
    }
}

void log_line(const std::string& line) {
    std::fprintf(stderr, "d4j-sim: %s\n", line.c_str());
    std::fflush(stderr);
}

}  // namespace sim

using sim::Worker;

extern "C" {

void d4j_sim_syncthreads(const char* site) {
    Worker& w = *sim::tls_worker;
    sim::Fiber& f = w.fibers[w.current];
    f.state = sim::AT_BARRIER;
    f.site = site;
    w.arrived++;
    if (w.arrived == w.live) {
        sim::complete_barrier(w);
    }
    if (f.state == sim::AT_BARRIER) {
        sim::yield(w);
    }
}

void* d4j_sim_dynamic_shared(void) {
    Worker& w = *sim::tls_worker;
    return w.shared_end - w.grid->dynamic_shared;
}

uint64_t d4j_sim_warp(int kind, unsigned mask, uint64_t value, int arg, int width, const char* site) {
    Worker& w = *sim::tls_worker;
    int lane = w.current % sim::WARP;
    int base = w.current - lane;
    sim::Fiber& f = w.fibers[w.current];
    f.site = site;
    f.kind = kind;
    if (!(mask >> lane & 1u)) {
        sim::abort_fiber(w, sim::LAUNCH_FAILED,
                         sim::format("%s at %s %s: the mask 0x%08x leaves out the calling lane %d", sim::kind_name(kind), site,
                                     sim::where(w, w.current).c_str(), mask, lane));
    }
    if (width < 1 || width > sim::WARP || (width & (width - 1)) != 0) {
        sim::abort_fiber(w, sim::LAUNCH_FAILED,
                         sim::format("%s at %s %s: width %d is not a power of 2 up to 32", sim::kind_name(kind), site,
                                     sim::where(w, w.current).c_str(), width));
    }
    if ((kind == D4J_WARP_MMA_TF32 || kind == D4J_WARP_MMA_TF32_K4) && (mask != 0xffffffffu || sim::lanes_of_warp(w, base) < sim::WARP)) {
        sim::abort_fiber(w, sim::LAUNCH_FAILED,
                         sim::format("%s at %s %s: needs all 32 lanes of a full warp (mask 0x%08x, %d threads in this warp)", sim::kind_name(kind),
                                     site, sim::where(w, w.current).c_str(), mask, sim::lanes_of_warp(w, base)));
    }
    int lanes = sim::lanes_of_warp(w, base);
    if (lanes < sim::WARP && (mask >> lanes) != 0) {
        sim::abort_fiber(w, sim::LAUNCH_FAILED,
                         sim::format("%s at %s %s: the mask 0x%08x names lanes beyond the %d threads of this warp", sim::kind_name(kind),
                                     site, sim::where(w, w.current).c_str(), mask, lanes));
    }
    f.state = sim::AT_WARP;
    f.mask = mask;
    f.value = value;
    f.arg = arg;
    f.width = width;
    sim::try_complete_warp(w, base, lane);
    if (f.state == sim::AT_WARP) {
        sim::yield(w);
    }
    return f.result;
}

void d4j_sim_trap(const char* what) {
    Worker& w = *sim::tls_worker;
    sim::abort_fiber(w, sim::ASSERT, sim::format("%s %s", what, sim::where(w, w.current).c_str()));
}
}
