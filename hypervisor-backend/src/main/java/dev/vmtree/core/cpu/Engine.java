package dev.vmtree.core.cpu;

import java.util.Locale;

/**
 * How a machine executes guest code. The engine changes only speed, never state: it is not part of
 * the machine state, the StateId or the ReplayLog, and a run may switch engines between any two
 * slices.
 *
 * <ul>
 *   <li>{@link #INTERPRETER}: the pre-decoded interpreter only ({@link Hart#interpret}).</li>
 *   <li>{@link #TRANSLATOR}: the interpreter counts page entries; hot code is translated to JVM
 *       bytecode in a background thread and entered once it is ready.</li>
 *   <li>{@link #EAGER}: every code page entry is translated on its first execution, on the
 *       machine's own thread (for tests: the translated code runs from the first instruction).</li>
 * </ul>
 *
 * <p>The default comes from the environment variable {@value #ENVIRONMENT} (or the system property
 * {@value #PROPERTY}), so that child JVMs of a test suite run under the engine the suite was
 * started with; without either it is {@link #DEFAULT}.
 */
public enum Engine {
    INTERPRETER,
    TRANSLATOR,
    EAGER;

    /** The environment variable that sets the default engine of every machine a JVM makes. */
    public static final String ENVIRONMENT = "VMTREE_ENGINE";
    /** The system property that sets the default engine (wins over the environment variable). */
    public static final String PROPERTY = "vmtree.engine";
    /** The engine when nothing says otherwise. */
    public static final Engine DEFAULT = INTERPRETER;

    /** The engine's name as users write it: {@code interpreter}, {@code translator}, {@code eager}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a user's word for an engine; throws IllegalArgumentException naming the choices. */
    public static Engine parse(String word) {
        for (Engine e : values()) {
            if (e.label().equals(word.trim().toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown engine '" + word + "' (choose interpreter, translator or eager)");
    }

    /**
     * The default engine of this JVM: {@value #PROPERTY}, else {@value #ENVIRONMENT}, else
     * {@link #DEFAULT}. A value that names no engine is an error, so a misspelt test setting
     * cannot silently run the interpreter.
     */
    public static Engine fromEnvironment() {
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank()) {
            v = System.getenv(ENVIRONMENT);
        }
        return v == null || v.isBlank() ? DEFAULT : parse(v);
    }
}
