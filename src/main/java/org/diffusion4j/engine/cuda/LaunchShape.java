package org.diffusion4j.engine.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * The launch shape of the tile kernels: at most {@code tile} particles (or training samples) per block, {@code threads}
 * per block and at most {@code maxBlocks} blocks (0: as many as fit on the GPU at once, from the occupancy API). Where
 * a network's tile of {@code tile} does not fit in shared memory, the tile is halved until it does
 * ({@link #candidates()}). Results do not depend on the shape (the kernels sum in a fixed order); tests run several to
 * show it.
 */
record LaunchShape(int tile, int threads, int maxBlocks) {
    /** Particles per thread register tile (TILE_RP of kernels/tile.cuh). */
    static final int REGISTER_TILE = 4;

    /** The shapes tried in order by default, the largest tile whose shared memory fits taken. */
    static final LaunchShape[] DEFAULTS = {
        new LaunchShape(128, 256, 0), new LaunchShape(64, 128, 0), new LaunchShape(32, 128, 0), new LaunchShape(16, 64, 0),
        new LaunchShape(8, 64, 0), new LaunchShape(4, 32, 0)};

    LaunchShape {
        int cols = tile / REGISTER_TILE;
        if (tile < REGISTER_TILE || tile % REGISTER_TILE != 0 || threads < cols || threads % cols != 0 || threads > 256 || maxBlocks < 0) {
            throw new IllegalArgumentException("engine: cuda: launch shape tile " + tile + ", threads " + threads + ", blocks " + maxBlocks
                    + ": tile must be a multiple of " + REGISTER_TILE + ", threads a multiple of tile / " + REGISTER_TILE + " up to 256");
        }
    }

    /** This shape, then the same with the tile halved down to {@link #REGISTER_TILE}: the shapes tried in order. */
    LaunchShape[] candidates() {
        List<LaunchShape> list = new ArrayList<>();
        for (int t = tile; t >= REGISTER_TILE && t % REGISTER_TILE == 0; t /= 2) {
            list.add(new LaunchShape(t, threads, maxBlocks));
        }
        return list.toArray(new LaunchShape[0]);
    }

    /**
     * The one-line refusal of a shape the kernels do not run (their shared-memory query answered -1): at precision fp32
     * every valid shape runs; the tensor-core precisions need whole warps, tiles of mma columns and passes of at least
     * 16 rows (tile_shape_valid_for of kernels/tile.cuh).
     */
    static String refusal(LaunchShape s, String what) {
        return "engine: cuda: launch shape tile " + s.tile() + ", threads " + s.threads() + " (and the smaller tiles tried after it) is not"
                + " one the kernels run for network.precision tf32 or tf32x3: tensor cores need a tile of " + what + " that is a multiple of 8,"
                + " threads a multiple of 32 and at least the tile";
    }

    /** Blocks for `work` tiles: all of them, or maxBlocks, or what fits on the GPU at once. */
    int blocks(long tiles, int fitting) {
        long cap = maxBlocks > 0 ? maxBlocks : fitting;
        return (int) Math.max(1, Math.min(tiles, cap));
    }
}
