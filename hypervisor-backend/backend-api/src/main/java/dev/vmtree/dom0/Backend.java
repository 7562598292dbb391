package dev.vmtree.dom0;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * A hypervisor backend as Dom0 finds it: a {@link ServiceLoader} service (a line naming the class in
 * {@code META-INF/services/dev.vmtree.dom0.Backend} of the backend's jar), known by the name each
 * machine definition records ({@link MachineDriver#name}). Dom0 never names a backend's classes, so
 * a second backend plugs in by being on the class path.
 *
 * <p>An engine is a backend's word for how it executes guest code (the RV64 core: interpreter,
 * translator, eager); it changes only speed and is never stored with a machine.
 */
public interface Backend {

    /** The backend machines are created with when nothing says otherwise. */
    String DEFAULT = "rv64-core";

    /** The name machine definitions record, as {@link MachineDriver#name}. */
    String name();

    /** What its machines can do. */
    Set<Capability> capabilities();

    /** The engine its machines run under when nothing chooses one. */
    String defaultEngine();

    /**
     * {@code word} as this backend spells the engine it names (trimmed, any case); throws
     * IllegalArgumentException naming the choices when it names none.
     */
    String engine(String word);

    /** A driver whose machines run under {@code engine} (a word {@link #engine} accepted). */
    MachineDriver driver(String engine);

    /** Every backend on the class path, in class-path order. */
    static List<Backend> all() {
        List<Backend> out = new ArrayList<>();
        ServiceLoader.load(Backend.class, Backend.class.getClassLoader()).forEach(out::add);
        return out;
    }

    /** The backend named {@code name}; CANNOT_RUN naming those there are when none is. */
    static Backend named(String name) {
        List<Backend> all = all();
        for (Backend b : all) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "no hypervisor backend '" + name
                + "' on the class path (" + (all.isEmpty() ? "none found"
                : "found: " + String.join(", ", all.stream().map(Backend::name).toList()))
                + "); is the installation complete?");
    }
}
