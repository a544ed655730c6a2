// D4J_LAUNCH(kernel, grid, block, shared)(args...): a kernel launch that compiles both with nvcc (kernel<<<grid,
// block, shared>>>(args...)) and for the simulated GPU (native-tests/sim: D4J_SIM defined, the runtime-API header
// of native-tests/sim/runtime), where <<<>>> does not parse.
#ifndef DIFFUSION4J_NATIVE_TESTS_LAUNCH_CUH
#define DIFFUSION4J_NATIVE_TESTS_LAUNCH_CUH

#ifdef D4J_SIM
#define D4J_LAUNCH(kernel, grid, block, shared) d4j_sim::launch(#kernel, kernel, (grid), (block), (shared))
#else
#define D4J_LAUNCH(kernel, grid, block, shared) kernel<<<(grid), (block), (shared)>>>
#endif

#endif
