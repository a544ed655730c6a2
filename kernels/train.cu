// A training step in two launches (three with clipping), launched by org.diffusion4j.engine.cuda.CudaTrainer
// (train_tile.cuh for the formulas):
//
//   d4j_train         every tile of the batch: minibatch, forward, loss, backward, and the tile's subtree of every
//                     parameter's gradient and of the loss totals
//   d4j_train_norm    with clipping only: per parameter the rest of the tree over the tiles into grad, and the squared
//                     norm of grad / sum rw per chunk of NORM_CHUNK parameters
//   d4j_train_update  per parameter the rest of the tree over the tiles (read from grad with clipping), divided by
//                     sum rw and scaled by the clipping factor, the Adam / AdamW update at the step's learning rate and
//                     the EMA; the loss of the step into a ring buffer the host reads when it wants (no wait per step)
//
// Nothing depends on thread scheduling, tile size or grid: the result is the same for every launch shape.
#include "dynamic_shared.cuh"
#include "train_tile.cuh"

/** Every tile of the step (persistent blocks: tiles blockIdx.x, + gridDim.x, ...). */
extern "C" __global__ void d4j_train(const d4j::TrainArgs a) {
    D4J_DYNAMIC_SHARED(float, smem);
    d4j::Block b{static_cast<int>(threadIdx.x), static_cast<int>(blockDim.x)};
    d4j::TileShape s = d4j::tile_shape_padded(a.tile, a.threads);
    long long tiles = (static_cast<long long>(a.batch) + a.tile - 1) / a.tile;
    for (long long t = blockIdx.x; t < tiles; t += gridDim.x) {
        d4j::train_tile(a, b, s, smem, t);
    }
}

/** The dynamic shared memory d4j_train needs for the args' tile and threads, in bytes (-1: not a valid shape). */
extern "C" __global__ void d4j_train_shared(const d4j::TrainArgs a, int* bytes) {
    if (threadIdx.x == 0 && blockIdx.x == 0) {
        long long b = d4j::train_shared_bytes(a);
        bool valid = d4j::tile_shape_valid_for(a.tile, a.threads, a.net.precision) && a.tile <= d4j::TRAIN_LEAF << (d4j::TRAIN_TILE_LEVELS - 1)
                     && ((a.tile / d4j::TRAIN_LEAF) & (a.tile / d4j::TRAIN_LEAF - 1)) == 0;
        bytes[0] = !valid ? -1 : b > 0x7fffffffLL ? 0x7fffffff : static_cast<int>(b);
    }
}

/**
 * The sum over the block of each thread's s, in a fixed order: a pairwise tree over the threads (blockDim.x ==
 * UPDATE_BLOCK). Every thread gets the sum.
 */
__device__ double block_sum(double* part, double s) {
    part[threadIdx.x] = s;
    __syncthreads();
    for (int w = d4j::UPDATE_BLOCK / 2; w > 0; w >>= 1) {
        if (threadIdx.x < w) {
            part[threadIdx.x] += part[threadIdx.x + w];
        }
        __syncthreads();
    }
    double sum = part[0];
    __syncthreads();
    return sum;
}

/** Clipping's first pass: the gradient's tree over the tiles into grad, and each chunk's squared norm (persistent blocks). */
extern "C" __global__ void d4j_train_norm(const d4j::UpdateArgs a) {
    __shared__ double totals[2];
    __shared__ double part[d4j::UPDATE_BLOCK];
    if (threadIdx.x == 0) {
        d4j::loss_totals(a.loss_partials, a.tiles, totals);
    }
    __syncthreads();
    double inv = 1.0 / totals[0];
    long long chunks = d4j::norm_chunks(a.params);
    for (long long c = blockIdx.x; c < chunks; c += gridDim.x) {
        double s = 0.0;
        for (long long k = c * d4j::NORM_CHUNK + threadIdx.x; k < (c + 1) * d4j::NORM_CHUNK && k < a.params; k += d4j::UPDATE_BLOCK) {
            float g = d4j::gradient_total(a.partials, a.params, a.tiles, k);
            a.grad[k] = g;
            double x = static_cast<double>(g) * inv;
            s += x * x;
        }
        double sum = block_sum(part, s);
        if (threadIdx.x == 0) {
            a.norm_partials[c] = sum;
        }
    }
}

/** The gradient's tree over the tiles and the optimizer step, one thread per parameter (grid-stride). */
extern "C" __global__ void d4j_train_update(const d4j::UpdateArgs a) {
    __shared__ double totals[2];
    __shared__ double part[d4j::UPDATE_BLOCK];
    if (threadIdx.x == 0) {
        d4j::loss_totals(a.loss_partials, a.tiles, totals);
        if (blockIdx.x == 0) {
            a.totals[0] = totals[0];
            a.totals[1] = totals[1];
            a.losses[a.step % a.ring] = totals[1] / (2.0 * totals[0]);
        }
    }
    __syncthreads();
    bool clips = a.clip > 0.0;
    double factor = 1.0;
    if (clips) {
        double s = 0.0;
        long long chunks = d4j::norm_chunks(a.params);
        for (long long c = threadIdx.x; c < chunks; c += d4j::UPDATE_BLOCK) {
            s += a.norm_partials[c];
        }
        factor = d4j::clip_factor(a, block_sum(part, s));
    }
    float scale = static_cast<float>(factor / totals[0]);
    long long threads = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long k = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; k < a.params; k += threads) {
        float g;
        if (clips) {
            g = a.grad[k];
        } else {
            g = d4j::gradient_total(a.partials, a.params, a.tiles, k);
            a.grad[k] = g;
        }
        d4j::adam_update(a, k, g * scale);
    }
}
