package dev.vmtree.cli;

import dev.vmtree.dom0.EngineChoice;
import dev.vmtree.dom0.Settings;
import dev.vmtree.dom0.Toolstack;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code --engine ENGINE}, shared by the commands that run guest code (exec, run, replay, bisect,
 * debug): how the core executes it, chosen as {@link EngineChoice} says (this option, else
 * {@code core.engine}, else VMTREE_ENGINE, else the interpreter). With {@code --debug} the command
 * says on stderr which engine its machines run under and what chose it.
 */
final class EngineOption {
    static final String DESCRIPTION = "How the core executes guest code: interpreter, translator (hot code"
            + " translated to JVM bytecode in the background) or eager (every code page translated when it first"
            + " runs). Changes only the speed, never the result; not stored with the machine. Default: the"
            + " configuration's core.engine, else $VMTREE_ENGINE, else interpreter. With --debug the command"
            + " says which engine it chose, and why.";

    @Option(names = "--engine", paramLabel = "ENGINE", completionCandidates = Names.class, description = DESCRIPTION)
    String engine;

    /** The engines' names, for shell completion. */
    static final class Names implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(dev.vmtree.core.cpu.Engine.values()).map(dev.vmtree.core.cpu.Engine::label)
                    .iterator();
        }
    }

    /**
     * The engine for a command that opens no repository ({@code exec}), with the configuration of
     * where it runs; the command {@link #announce}s the engine its machine got.
     */
    EngineChoice choose(CommandSpec spec) {
        return EngineChoice.choose(engine, Toolstack.settingsAt(Dom0Cli.root(spec).workingDirectory()));
    }

    /** The repository's toolstack (as {@link Dom0Cli#open}) with its machines under the chosen engine. */
    Toolstack open(CommandSpec spec) {
        Toolstack ts = Dom0Cli.open(spec);
        try {
            Settings settings = ts.settings();
            ts.useEngine(EngineChoice.choose(engine, settings));
            announce(spec, ts.engine());
            return ts;
        } catch (RuntimeException e) {
            ts.close();
            throw e;
        }
    }

    /** With {@code --debug}: one line on stderr naming the engine and what chose it. */
    static EngineChoice announce(CommandSpec spec, EngineChoice choice) {
        if (Dom0Cli.debug(spec)) {
            spec.commandLine().getErr().println("vmtree: " + choice.describe());
            spec.commandLine().getErr().flush();
        }
        return choice;
    }
}
