package org.diffusion4j.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The CPU engine's thread team: every unit once, pinned units on their member, failures, nesting, closing. */
class WorkerTeamTest {

    @Test
    void everyUnitRunsExactlyOnceOverManyJobs() {
        // 2 members spin (this machine has 2 processors or more in CI), 5 members park: both hand-off paths
        for (int size : new int[] {1, 2, 5}) {
            WorkerTeam team = new WorkerTeam(size, "test");
            try {
                for (int job = 0; job < 200; job++) {
                    int units = 1 + job % 37;
                    AtomicIntegerArray runs = new AtomicIntegerArray(units);
                    team.run(units, k -> null, (ignored, u) -> runs.incrementAndGet(u));
                    for (int u = 0; u < units; u++) {
                        assertEquals(1, runs.get(u), "size " + size + ", job " + job + ", unit " + u);
                    }
                }
            } finally {
                team.close();
            }
        }
    }

    @Test
    void pinnedUnitsRunOnTheirMemberWithItsScratch() {
        WorkerTeam team = new WorkerTeam(3, "test");
        try {
            for (int job = 0; job < 50; job++) {
                int[] member = new int[10];
                Set<String> threads = ConcurrentHashMap.newKeySet();
                String[] byMember = new String[3];
                team.runPinned(10, k -> k, (k, u) -> {
                    member[u] = k;
                    threads.add(k + "@" + Thread.currentThread().getName());
                    synchronized (byMember) {
                        byMember[k] = Thread.currentThread().getName();
                    }
                });
                for (int u = 0; u < 10; u++) {
                    assertEquals(u % 3, member[u], "unit " + u);
                }
                // a member is one thread: never two members on a thread, never a member on two threads
                assertEquals(3, threads.size(), threads.toString());
                assertEquals(3, Set.of(byMember).size());
            }
        } finally {
            team.close();
        }
    }

    @Test
    void theFirstFailureReachesTheCallerAndTheTeamGoesOn() {
        WorkerTeam team = new WorkerTeam(2, "test");
        try {
            IllegalStateException planted = new IllegalStateException("unit 7");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> team.run(40, k -> null, (ignored, u) -> {
                if (u == 7) {
                    throw planted;
                }
            }));
            assertSame(planted, thrown);
            AssertionError error = assertThrows(AssertionError.class,
                    () -> team.runPinned(4, k -> null, (ignored, u) -> {
                        if (u == 1) {
                            throw new AssertionError("pinned unit 1");
                        }
                    }));
            assertEquals("pinned unit 1", error.getMessage());
            AtomicIntegerArray runs = new AtomicIntegerArray(9);
            team.run(9, k -> null, (ignored, u) -> runs.incrementAndGet(u));
            int[] seen = new int[9];
            for (int u = 0; u < 9; u++) {
                seen[u] = runs.get(u);
            }
            assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, seen);
        } finally {
            team.close();
        }
    }

    @Test
    void aJobInsideAJobRunsOnItsCaller() {
        WorkerTeam team = new WorkerTeam(2, "test");
        try {
            AtomicIntegerArray inner = new AtomicIntegerArray(6 * 5);
            team.run(6, k -> null, (ignored, u) -> team.run(5, k -> null, (x, v) -> inner.incrementAndGet(5 * u + v)));
            for (int i = 0; i < inner.length(); i++) {
                assertEquals(1, inner.get(i), "inner unit " + i);
            }
        } finally {
            team.close();
        }
    }

    @Test
    void closeEndsTheMembers() throws InterruptedException {
        WorkerTeam team = new WorkerTeam(3, "closing-team");
        team.run(10, k -> null, (ignored, u) -> { });
        team.close();
        long deadline = System.nanoTime() + 5_000_000_000L;
        boolean alive = true;
        while (alive && System.nanoTime() < deadline) {
            alive = Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("closing-team-"));
            Thread.sleep(10);
        }
        assertFalse(alive, "members still running 5 s after close");
        // a closed team still runs jobs, on the caller
        AtomicIntegerArray runs = new AtomicIntegerArray(3);
        team.run(3, k -> null, (ignored, u) -> runs.incrementAndGet(u));
        assertEquals(3, runs.get(0) + runs.get(1) + runs.get(2));
    }

    @Test
    void balancedRangesSplitByCost() {
        assertArrayEquals(new int[] {0, 2, 4}, CpuEngine.balance(new long[] {1, 1, 1, 1}, 2));
        // one heavy unit: the light ones around it go to the other part
        assertArrayEquals(new int[] {0, 3, 4}, CpuEngine.balance(new long[] {1, 1, 1, 10}, 2));
        assertArrayEquals(new int[] {0, 1, 4}, CpuEngine.balance(new long[] {10, 1, 1, 1}, 2));
        // more parts than units: empty parts, every unit in exactly one
        assertArrayEquals(new int[] {0, 0, 1, 1, 2}, CpuEngine.balance(new long[] {5, 5}, 4));
        assertArrayEquals(new int[] {0, 3}, CpuEngine.balance(new long[] {2, 7, 1}, 1));
    }
}
