// A trivial kernel for the engine's self-check (CudaSelfCheck): one thread writes 42.
// It proves that the bundled fatbin loads on this GPU and driver and that a launch and a copy back work.

extern "C" __global__ void d4j_probe(int* out) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        out[0] = 42;
    }
}
