// Dynamic shared memory of a kernel: D4J_DYNAMIC_SHARED(float, smem) declares `smem`, the block's dynamic shared
// memory as an array of the type, sized by the launch. One macro, so that builds which cannot express
// `extern __shared__` (the host build of the kernels) can supply their own definition before including this header.
#ifndef DIFFUSION4J_DYNAMIC_SHARED_CUH
#define DIFFUSION4J_DYNAMIC_SHARED_CUH

#ifndef D4J_DYNAMIC_SHARED
#define D4J_DYNAMIC_SHARED(type, name) extern __shared__ __align__(16) type name[]
#endif

#endif  // DIFFUSION4J_DYNAMIC_SHARED_CUH
