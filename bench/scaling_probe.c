/*
 * The machine's own 2-core ceiling for the cpu engine's thread scaling: independent chains of 512-bit fused
 * multiply-adds (no memory traffic), timed alone and as two processes at once on processors 0 and 1. Prints the
 * GFLOP/s of each run; bench/cpu_scaling.py runs it in pairs and reports (both) / (alone).
 *
 *   gcc -O2 -mavx512f -mfma bench/scaling_probe.c -o target/scaling_probe && target/scaling_probe
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(void) {
    enum { CHAINS = 12 };
    __m512 acc[CHAINS];
    const __m512 mul = _mm512_set1_ps(0.999f);
    const __m512 add = _mm512_set1_ps(0.001f);
    for (int i = 0; i < CHAINS; i++) {
        acc[i] = _mm512_set1_ps((float) i);
    }
    const long iterations = 100000000L;
    double t0 = now();
    for (long k = 0; k < iterations; k++) {
        for (int i = 0; i < CHAINS; i++) {
            acc[i] = _mm512_fmadd_ps(acc[i], mul, add);
        }
    }
    double seconds = now() - t0;
    float sum = 0;
    for (int i = 0; i < CHAINS; i++) {
        sum += _mm512_reduce_add_ps(acc[i]);
    }
    /* the sum keeps the chains alive; 16 lanes x 2 FLOP per fused multiply-add */
    printf("%.2f %g\n", iterations * CHAINS * 16.0 * 2 / seconds / 1e9, sum);
    return 0;
}
