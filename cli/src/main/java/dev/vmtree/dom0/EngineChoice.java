package dev.vmtree.dom0;

import dev.vmtree.core.cpu.Engine;

/**
 * Which {@link Engine} the machines of one command run under, and what chose it. The first of these
 * wins: a command's {@code --engine}, the setting {@value #SETTING}, the system property
 * {@value Engine#PROPERTY} or environment variable {@value Engine#ENVIRONMENT}, the built-in
 * {@link Engine#DEFAULT}. The engine changes only speed: it is never stored with a machine (not in
 * its state, its StateId, its ReplayLog or its instance record), so every command chooses afresh.
 *
 * @param engine the engine
 * @param source what chose it: {@code --engine}, {@value #SETTING}, {@value Engine#PROPERTY},
 *               {@value Engine#ENVIRONMENT} or {@code default}
 */
public record EngineChoice(Engine engine, String source) {
    /** The configuration key of the default engine. */
    public static final String SETTING = "core.engine";

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
     * The engine the environment gives ({@value Engine#PROPERTY}, else {@value Engine#ENVIRONMENT},
     * else {@link Engine#DEFAULT}); BAD_INPUT naming the variable when its value names no engine.
     */
    public static EngineChoice environment() {
        String property = System.getProperty(Engine.PROPERTY);
        if (property != null && !property.isBlank()) {
            return new EngineChoice(parse("system property " + Engine.PROPERTY, property), Engine.PROPERTY);
        }
        String variable = System.getenv(Engine.ENVIRONMENT);
        if (variable != null && !variable.isBlank()) {
            return new EngineChoice(parse(Engine.ENVIRONMENT, variable), Engine.ENVIRONMENT);
        }
        return new EngineChoice(Engine.DEFAULT, "default");
    }

    /** {@link Engine#parse} with BAD_INPUT naming {@code what} gave the word. */
    public static Engine parse(String what, String word) {
        try {
            return Engine.parse(word);
        } catch (IllegalArgumentException e) {
            throw ToolstackException.badInput(what + ": " + e.getMessage());
        }
    }

    /** One line for {@code --debug}: {@code engine translator (from core.engine)}. */
    public String describe() {
        return "engine " + engine.label() + " (from " + source + ")";
    }
}
