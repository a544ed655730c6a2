// The block's dynamic shared memory (the launch's sharedMemBytes) as `type name[]`:
//
//   D4J_DYNAMIC_SHARED(float, shared);   // then shared[k], as with extern __shared__ float shared[];
//
// On the GPU this is `extern __shared__ type name[]`. Kernels compiled for the host and run by the simulated GPU
// (native-tests/sim, D4J_SIM defined) get a pointer to the block's dynamic shared memory instead, which ends
// against a no-access page so an access past the launch's size is reported: `extern __shared__` cannot be
// turned into that by a macro, so every kernel declares its dynamic shared memory with this one.
#ifndef DIFFUSION4J_DYNAMIC_SHARED_CUH
#define DIFFUSION4J_DYNAMIC_SHARED_CUH

#ifdef D4J_SIM
#define D4J_DYNAMIC_SHARED(type, name) type* const name = static_cast<type*>(d4j_sim_dynamic_shared())
#else
#define D4J_DYNAMIC_SHARED(type, name) extern __shared__ type name[]
#endif

#endif
