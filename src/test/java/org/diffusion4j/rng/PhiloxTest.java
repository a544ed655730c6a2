package org.diffusion4j.rng;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.SplittableRandom;
import org.apache.commons.rng.core.source32.Philox4x32;
import org.junit.jupiter.api.Test;

/**
 * Philox4x32-10 against the published Random123 known answers ({@code kat_vectors}, philox4x32 with 10 rounds)
 * and against Commons RNG's {@code Philox4x32}.
 *
 * <p>Commons RNG 1.7 pre-increments its counter: seeded with {@code {k0, k1, c0, c1, c2, c3}}, its first four
 * {@code nextInt()} are {@code philox4x32_10(c + 1, k)} (the seed counter is the block "before" the first one).
 * The published vectors are matched by {@link Philox#block}, and by Commons RNG only when seeded at {@code c - 1};
 * {@link #commonsRngStartsOneBlockAfterItsSeedCounter()} pins that offset so a change in Commons RNG is seen.
 */
class PhiloxTest {

    /** Random123 kat_vectors: {k0, k1, c0, c1, c2, c3, expected0..3}. */
    static final int[][] KAT = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {-1, -1, -1, -1, -1, -1, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0xa4093822, 0x299f31d0, 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344,
            0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
    };

    static int[] expected(int[] v) {
        return new int[] {v[6], v[7], v[8], v[9]};
    }

    static long join(int lo, int hi) {
        return (lo & 0xFFFF_FFFFL) | ((long) hi << 32);
    }

    /** The first block of Commons RNG's generator whose own first block is at counter c (seeded at c - 1). */
    static int[] commonsBlock(int k0, int k1, int c0, int c1, int c2, int c3) {
        long lo = join(c0, c1);
        long hi = join(c2, c3);
        if (lo == 0) {
            hi--;
        }
        lo--;
        Philox4x32 rng = new Philox4x32(new int[] {k0, k1, (int) lo, (int) (lo >>> 32), (int) hi, (int) (hi >>> 32)});
        return new int[] {rng.nextInt(), rng.nextInt(), rng.nextInt(), rng.nextInt()};
    }

    @Test
    void blockMatchesPublishedVectors() {
        for (int[] v : KAT) {
            int[] out = new int[4];
            Philox.block(v[0], v[1], v[2], v[3], v[4], v[5], out);
            assertArrayEquals(expected(v), out, () -> String.format("kat key %08x %08x", v[0], v[1]));
        }
    }

    @Test
    void noiseStreamMatchesPublishedVectors() {
        for (int[] v : KAT) {
            // key = (seed lo, seed hi), counter = (step lo, step hi, particle lo, particle hi)
            NoiseStream stream = new NoiseStream(join(v[0], v[1]));
            int[] out = new int[4];
            stream.words(join(v[4], v[5]), join(v[2], v[3]), out);
            assertArrayEquals(expected(v), out);
        }
    }

    @Test
    void commonsRngMatchesPublishedVectorsWhenSeededOneBlockEarlier() {
        for (int[] v : KAT) {
            assertArrayEquals(expected(v), commonsBlock(v[0], v[1], v[2], v[3], v[4], v[5]));
        }
    }

    @Test
    void commonsRngStartsOneBlockAfterItsSeedCounter() {
        Philox4x32 rng = new Philox4x32(new int[] {0, 0, 0, 0, 0, 0});
        int[] first = {rng.nextInt(), rng.nextInt(), rng.nextInt(), rng.nextInt()};
        int[] atOne = new int[4];
        Philox.block(0, 0, 1, 0, 0, 0, atOne);
        assertArrayEquals(atOne, first);
        assertNotEquals(KAT[0][6], first[0], "first block of Commons RNG seeded at counter 0 is not the kat of counter 0");
    }

    @Test
    void blockEqualsCommonsRngOnRandomKeysAndCounters() {
        SplittableRandom random = new SplittableRandom(20261123L);
        int[] out = new int[4];
        for (int trial = 0; trial < 20_000; trial++) {
            int[] s = new int[6];
            for (int j = 0; j < 6; j++) {
                s[j] = random.nextInt();
            }
            if (trial % 10 == 0) {
                s[2] = 0; // exercise the borrow into the high counter half
                s[3] = 0;
            }
            Philox.block(s[0], s[1], s[2], s[3], s[4], s[5], out);
            assertArrayEquals(commonsBlock(s[0], s[1], s[2], s[3], s[4], s[5]), out, "trial " + trial);
        }
    }

    @Test
    void consecutiveCommonsRngBlocksAreConsecutiveCounters() {
        Philox4x32 rng = new Philox4x32(new int[] {0x1234, 0x5678, -1, -1, 7, 0});
        int[] out = new int[4];
        // counter (2^64 - 1, 7) + 1 carries into the high half: (0, 0, 8, 0), then (1, 0, 8, 0)
        for (int c0 = 0; c0 < 2; c0++) {
            Philox.block(0x1234, 0x5678, c0, 0, 8, 0, out);
            for (int j = 0; j < 4; j++) {
                assertEquals(out[j], rng.nextInt());
            }
        }
    }
}
