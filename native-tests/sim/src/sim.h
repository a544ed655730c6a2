// Internals of the simulated GPU (libcuda.so.1): the kernel table of a fatbin, the executor that runs a grid, and
// the shared error state. README.md ("The GPU tests without a GPU") describes the design.
#ifndef D4J_SIM_INTERNAL_H
#define D4J_SIM_INTERNAL_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "d4j_sim/module.h"

namespace sim {

// The CUresult codes the simulator returns (values of cuda.h).
enum Result : int {
    SUCCESS = 0,
    INVALID_VALUE = 1,
    OUT_OF_MEMORY = 2,
    NOT_INITIALIZED = 3,
    NO_DEVICE = 100,
    INVALID_DEVICE = 101,
    INVALID_IMAGE = 200,
    INVALID_CONTEXT = 201,
    NO_BINARY_FOR_GPU = 209,
    INVALID_HANDLE = 400,
    NOT_FOUND = 500,
    NOT_READY = 600,
    ILLEGAL_ADDRESS = 700,
    LAUNCH_OUT_OF_RESOURCES = 701,
    LAUNCH_TIMEOUT = 702,
    ASSERT = 710,
    LAUNCH_FAILED = 719,
    NOT_SUPPORTED = 801,
    STREAM_CAPTURE_UNSUPPORTED = 900,
    STREAM_CAPTURE_INVALIDATED = 901,
    STREAM_CAPTURE_UNMATCHED = 903,
    STREAM_CAPTURE_WRONG_THREAD = 908,
    UNKNOWN = 999,
};

// The H200 profile.
constexpr int SM_COUNT = 132;
constexpr int CC_MAJOR = 9;
constexpr int CC_MINOR = 0;
constexpr int MAX_THREADS_PER_BLOCK = 1024;
constexpr int MAX_THREADS_PER_SM = 2048;
constexpr int MAX_BLOCKS_PER_SM = 32;
constexpr int REGISTERS_PER_SM = 65536;
constexpr int REGISTERS_PER_BLOCK = 65536;
constexpr int REGISTER_ALLOCATION_UNIT = 256;  // registers, per warp
constexpr int REGISTER_THREAD_UNIT = 8;        // a thread's count is rounded up to a multiple of this
constexpr int SHARED_DEFAULT = 48 * 1024;      // dynamic + static shared memory without opting in
constexpr int SHARED_OPTIN = 232448;           // 227 KiB: the most one block may use after opting in
constexpr int SHARED_PER_SM = 233472;          // 228 KiB
constexpr int SHARED_RESERVED_PER_BLOCK = 1024;
constexpr int SHARED_ALLOCATION_UNIT = 128;
constexpr int WARP = 32;
constexpr const char* DEVICE_NAME = "diffusion4j simulated GPU (H200 profile)";

/** One parameter of a kernel as the cubin describes it. */
struct Param {
    unsigned offset;
    unsigned size;
};

/** A kernel of the sm_90 cubin: its name and limits. */
struct CubinKernel {
    std::string name;
    int registers = 0;
    unsigned static_shared = 0;
    unsigned param_bytes = 0;
    std::vector<Param> params;  // by ordinal
};

/**
 * The kernels of a fatbin's (or a bare cubin's) sm_90 ELF image. Returns SUCCESS, or an error code with `detail`
 * saying why (no sm_90 code, a compressed or malformed image).
 */
Result parse_image(const void* image, std::vector<CubinKernel>& out, std::string& detail);

/** What one grid runs: a body per CUDA thread, called once per fiber. */
struct Grid {
    const char* kernel;
    unsigned grid[3];
    unsigned block[3];
    size_t dynamic_shared;
    void (*body)(void* arg);
    void* arg;
};

/**
 * Runs a grid to completion on the worker pool. Returns SUCCESS, or the error of the first block that failed
 * (ILLEGAL_ADDRESS, LAUNCH_FAILED, ASSERT) with its report in `report` (one line, memcheck-like).
 */
Result run_grid(const Grid& grid, std::string& report);

/** Registers a device allocation [start, start + size) whose end abuts a no-access page (for fault reports). */
void register_allocation(uintptr_t start, size_t size);
void unregister_allocation(uintptr_t start);

/** Writes one line to stderr, prefixed "d4j-sim: ". */
void log_line(const std::string& line);

}  // namespace sim

#endif
