package org.diffusion4j.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The compiled kernels bundled in this build. {@code kernels/build.sh} compiles each {@code kernels/<module>.cu}
 * into the classpath resource {@code /kernels/<module>.fatbin} and writes the index
 * {@code /kernels/kernels.properties} (modules, nvcc version, targets); a build made without nvcc has neither.
 */
public final class KernelBundle {

    /** The classpath resource of the index. */
    public static final String INDEX = "/kernels/kernels.properties";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]+");

    private static volatile Properties index;

    private KernelBundle() {
    }

    /** The classpath resource of a module's fatbin: {@code /kernels/<module>.fatbin}. */
    public static String resource(String module) {
        if (module == null || !NAME.matcher(module).matches()) {
            throw new IllegalArgumentException("engine: cuda: a kernel module name must be letters, digits and underscores, got '" + module + "'");
        }
        return "/kernels/" + module + ".fatbin";
    }

    /** Whether the fatbin of a module is on the classpath. */
    public static boolean isBundled(String module) {
        return KernelBundle.class.getResource(resource(module)) != null;
    }

    /** The modules the index lists, in build order; empty when the build bundles no kernels. */
    public static List<String> modules() {
        String list = index().getProperty("modules", "").strip();
        return list.isEmpty() ? List.of() : Arrays.stream(list.split(",")).map(String::strip).toList();
    }

    /** The version of nvcc that built the kernels (e.g. {@code 13.0.88}), or null without kernels. */
    public static String nvccVersion() {
        return index().getProperty("nvcc");
    }

    /** The GPU targets of every fatbin (e.g. {@code sm_80 sm_86 sm_89 sm_90 compute_90}), or null without kernels. */
    public static String targets() {
        return index().getProperty("targets");
    }

    /** One line for {@code info}: the modules bundled and how they were built, or that there are none. */
    public static String describe() {
        List<String> modules = modules();
        if (modules.isEmpty()) {
            return "none bundled (this build was made without nvcc)";
        }
        return String.join(", ", modules) + " (nvcc " + nvccVersion() + "; " + targets() + ")";
    }

    /**
     * The bytes of a module's fatbin.
     *
     * @throws IllegalStateException when the build does not bundle it
     */
    public static byte[] load(String module) {
        String path = resource(module);
        try (InputStream in = KernelBundle.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("engine: cuda: kernels/" + module + ".fatbin is not bundled in this build (built without nvcc)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("engine: cuda: cannot read kernels/" + module + ".fatbin: " + e.getMessage(), e);
        }
    }

    private static Properties index() {
        Properties p = index;
        if (p == null) {
            p = new Properties();
            try (InputStream in = KernelBundle.class.getResourceAsStream(INDEX)) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("engine: cuda: cannot read " + INDEX + ": " + e.getMessage(), e);
            }
            index = p;
        }
        return p;
    }
}
