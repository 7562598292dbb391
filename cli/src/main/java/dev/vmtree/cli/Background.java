package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceLock;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.service.Dom0Client;
import dev.vmtree.dom0.service.Dom0Paths;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the background-instance commands share: the repository's Dom0 daemon (started on demand
 * as {@code vmtree daemon}, a process of its own in its own session, so closing the terminal does
 * not end it), and whether an instance runs in it.
 */
final class Background {
    /** The activity a background run shows in its instance lock (status, ps, refusals). */
    static final String ACTIVITY_PREFIX = "background";
    static final Duration SPAWN_WAIT = Duration.ofSeconds(30);

    private Background() {}

    /** The repository's live daemon, or empty. */
    static Optional<Dom0Client> connect(Toolstack ts) {
        return Dom0Client.connect(top(ts));
    }

    /** The repository's daemon, started when none runs. */
    static Dom0Client connectOrSpawn(Toolstack ts) {
        return Dom0Client.connectOrSpawn(top(ts), Background::spawn, SPAWN_WAIT);
    }

    static Path top(Toolstack ts) {
        return ts.repository().storeDirectory().getParent();
    }

    /** Whether instance {@code name} is held by a background run (the daemon's). */
    static boolean runsInBackground(Toolstack ts, String name) {
        return ts.instances().holder(name) instanceof InstanceLock.Holder.Running r
                && r.activity() != null && r.activity().startsWith(ACTIVITY_PREFIX);
    }

    /**
     * Starts {@code vmtree daemon} for the repository: this JVM's java, options and class path, in a
     * new session (setsid) with no terminal, its output appended to {@code .vmtree/dom0/daemon.log}.
     */
    static void spawn(Dom0Paths paths) {
        List<String> cmd = new ArrayList<>();
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            cmd.add(setsid.toString());
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Djava.class.path")) {
                cmd.add(a);
            }
        }
        for (Map.Entry<Object, Object> p : System.getProperties().entrySet()) {
            String k = p.getKey().toString();
            if (k.startsWith("vmtree.") && cmd.stream().noneMatch(a -> a.startsWith("-D" + k + "="))) {
                cmd.add("-D" + k + "=" + p.getValue());
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.add("-C");
        cmd.add(paths.top().toString());
        cmd.add("daemon");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(paths.log().toFile()));
        pb.redirectErrorStream(true);
        pb.environment().put("VMTREE_DAEMON", "1");
        try {
            pb.start();
        } catch (IOException e) {
            throw new CliException(ExitCodes.CANNOT_RUN, "cannot start Dom0 (" + String.join(" ", cmd.subList(0, 2))
                    + "): " + e.getMessage());
        }
    }

    /** The instance a command names with -i (null: the current one), as its record names it. */
    static String instanceName(Toolstack ts, String instance) {
        return ts.instances().resolve(instance).name();
    }
}
