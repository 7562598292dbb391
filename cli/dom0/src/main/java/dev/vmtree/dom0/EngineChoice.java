package dev.vmtree.dom0;

/**
 * Which engine (a {@link Backend}'s word for how it executes guest code) the machines of one command
 * run under, and what chose it. The first of these wins: a command's {@code --engine}, the setting
 * {@value #SETTING}, the system property {@value #PROPERTY} or environment variable
 * {@value #ENVIRONMENT}, the backend's default. The engine changes only speed: it is never stored
 * with a machine (not in its state, its StateId, its ReplayLog or its instance record), so every
 * command chooses afresh. Words are checked by the default backend ({@link Backend#DEFAULT}).
 *
 * @param engine the engine, as the backend spells it ("interpreter", "translator", "eager")
 * @param source what chose it: {@code --engine}, {@value #SETTING}, {@value #PROPERTY},
 *               {@value #ENVIRONMENT} or {@code default}
 */
public record EngineChoice(String engine, String source) {
    /** The configuration key of the default engine. */
    public static final String SETTING = "core.engine";
    /** The environment variable that sets the default engine of every machine a JVM makes. */
    public static final String ENVIRONMENT = "VMTREE_ENGINE";
    /** The system property that sets the default engine (wins over the environment variable). */
    public static final String PROPERTY = "vmtree.engine";

    /**
     * The engine for a command given {@code flag} (its {@code --engine} value, null when absent) and
     * the configuration {@code settings}. BAD_INPUT for a value that names no engine, wherever it
     * comes from; the environment is checked even when a flag or setting wins, because the core
     * reads it for every machine it makes.
     */
    public static EngineChoice choose(String flag, Settings settings) {
        EngineChoice environment = environment();
        if (flag != null) {
            return new EngineChoice(parse("--engine", flag), "--engine");
        }
        return settings.engine().map(e -> new EngineChoice(e, SETTING)).orElse(environment);
    }

    /**
     * The engine the environment gives ({@value #PROPERTY}, else {@value #ENVIRONMENT}, else the
     * backend's default); BAD_INPUT naming the variable when its value names no engine.
     */
    public static EngineChoice environment() {
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            return new EngineChoice(parse("system property " + PROPERTY, property), PROPERTY);
        }
        String variable = System.getenv(ENVIRONMENT);
        if (variable != null && !variable.isBlank()) {
            return new EngineChoice(parse(ENVIRONMENT, variable), ENVIRONMENT);
        }
        return new EngineChoice(Backend.named(Backend.DEFAULT).defaultEngine(), "default");
    }

    /** {@code word} as the default backend spells the engine, with BAD_INPUT naming {@code what} gave it. */
    public static String parse(String what, String word) {
        try {
            return Backend.named(Backend.DEFAULT).engine(word);
        } catch (IllegalArgumentException e) {
            throw ToolstackException.badInput(what + ": " + e.getMessage());
        }
    }

    /** One line for {@code --debug}: {@code engine translator (from core.engine)}. */
    public String describe() {
        return "engine " + engine + " (from " + source + ")";
    }
}
