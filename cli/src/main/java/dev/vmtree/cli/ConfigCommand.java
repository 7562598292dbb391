package dev.vmtree.cli;

import dev.vmtree.dom0.Settings;
import dev.vmtree.dom0.Settings.Scope;
import dev.vmtree.dom0.Toolstack;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree config [--global] KEY [VALUE] | --list | --unset KEY}. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Get or set configuration: the repository's .vmtree/config overrides the global"
                + " ~/.config/vmtree/config (directory overridable with VMTREE_CONFIG_HOME).",
            "Keys: user.name, user.email (snapshot author), gc.reflogExpire (e.g. 90d),"
                + " machine.memory (e.g. 256M), machine.harts (1-64), core.engine (interpreter, translator or"
                + " eager: the engine of exec, run, replay, bisect and debug without --engine).",
            "Getting an unset key exits with status 1, as git config does."})
public final class ConfigCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Option(names = "--global", description = "Use the global file instead of the repository's.")
    boolean global;

    @Option(names = {"-l", "--list"}, description = "List the keys set (effective values, or one file with --global).")
    boolean list;

    @Option(names = "--unset", description = "Remove KEY.")
    boolean unset;

    @Parameters(index = "0", arity = "0..1", paramLabel = "KEY", description = "A key such as user.name.")
    String key;

    @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", description = "The new value.")
    String value;

    @Override
    public Integer call() {
        Settings settings = Toolstack.settingsAt(Dom0Cli.root(spec).workingDirectory());
        Scope scope = global ? Scope.GLOBAL : Scope.REPOSITORY;
        if (list) {
            if (key != null) {
                throw new CliException(ExitCodes.USAGE, "--list takes no KEY");
            }
            print(settings.list(global ? Scope.GLOBAL : null));
            return 0;
        }
        if (key == null) {
            throw new CliException(ExitCodes.USAGE, "name a KEY, or use --list (see vmtree config --help)");
        }
        if (unset) {
            if (value != null) {
                throw new CliException(ExitCodes.USAGE, "--unset takes no VALUE");
            }
            boolean was = settings.unset(scope, key);
            if (Dom0Cli.json(spec)) {
                Dom0Cli.printJson(spec, new Json().beginObject().field("key", Settings.key(key).name())
                        .field("scope", scopeName(scope)).field("unset", was).endObject());
            }
            return was ? 0 : 1;
        }
        if (value != null) {
            settings.set(scope, key, value);
            if (Dom0Cli.json(spec)) {
                Dom0Cli.printJson(spec, new Json().beginObject().field("key", Settings.key(key).name())
                        .field("scope", scopeName(scope)).field("value", value).endObject());
            }
            return 0;
        }
        var v = global ? settings.get(Scope.GLOBAL, key) : settings.get(key);
        if (v.isEmpty()) {
            Settings.key(key); // an unknown key is a usage error, an unset known key just status 1
            return 1;
        }
        if (Dom0Cli.json(spec)) {
            Dom0Cli.printJson(spec, new Json().beginObject().field("key", Settings.key(key).name())
                    .field("value", v.get()).endObject());
        } else {
            Dom0Cli.out(spec).println(v.get());
        }
        return 0;
    }

    private static String scopeName(Scope scope) {
        return scope == Scope.GLOBAL ? "global" : "repository";
    }

    private void print(Map<String, String> values) {
        if (Dom0Cli.json(spec)) {
            Json j = new Json().beginObject();
            values.forEach(j::field);
            Dom0Cli.printJson(spec, j.endObject());
        } else {
            values.forEach((k, v) -> Dom0Cli.out(spec).println(k + "=" + v));
        }
    }
}
