package org.diffusion4j.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Building kernel parameter lists: kinds, values and order, without a GPU. */
class KernelLaunchTest {

    @Test
    void parametersKeepTheirKindsValuesAndOrder() {
        KernelLaunch launch = new KernelLaunch().ptrOrNull(null).i32(7).i64(1L << 40).f32(1.5f).i32(-1);
        assertEquals(5, launch.count());
        assertEquals("(null, i32, i64, f32, i32)", launch.signature());
        assertEquals(Arrays.asList(null, 7, 1L << 40, 1.5f, -1), launch.values());
        assertNotNull(launch.parameters());
    }

    @Test
    void anEmptyListIsValid() {
        KernelLaunch launch = new KernelLaunch();
        assertEquals(0, launch.count());
        assertEquals("()", launch.signature());
        assertNotNull(launch.parameters());
    }

    @Test
    void aRequiredPointerMustNotBeNull() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KernelLaunch().i32(1).ptr(null));
        assertEquals("engine: cuda: kernel argument 1 is a null buffer (ptrOrNull for an optional one)", e.getMessage());
    }

    @Test
    void valuesAreACopyOfNothingMutable() {
        KernelLaunch launch = new KernelLaunch().i32(1);
        assertThrows(UnsupportedOperationException.class, () -> launch.values().add(2));
    }
}
