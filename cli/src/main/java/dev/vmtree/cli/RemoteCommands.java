package dev.vmtree.cli;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.Remotes;
import dev.vmtree.dom0.Sync;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.remote.RemoteUrl;
import dev.vmtree.store.Completion;
import dev.vmtree.store.Transfer;
import dev.vmtree.store.WriteTransaction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree remote|push|fetch|pull|clone}: repositories exchanging snapshots (docs/remotes.md). */
public final class RemoteCommands {
    private RemoteCommands() {}

    static final String URLS = "A remote is a path or file:// URL, ssh://[user@]host[:port]/path or [user@]host:path,"
            + " a static layout at http(s)://... (read-only; `vmtree remote export` writes one), or"
            + " s3://BUCKET/PREFIX in AWS S3 or an S3-compatible store (--endpoint; credentials as AWS tools take them).";

    static final String ENDPOINT = "For an s3:// URL: the S3-compatible server (http(s)://host:port), addressed"
            + " path-style; kept with the remote. Default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's"
            + " endpoint_url, else AWS itself.";

    /** {@code vmtree remote add|remove|list}. */
    @Command(name = "remote", mixinStandardHelpOptions = true,
            description = {"Manage the remotes of this repository (kept in .vmtree/config as [remote \"NAME\"] url = URL).",
                URLS},
            subcommands = {Add.class, Remove.class, ListRemotes.class, Export.class})
    public static final class Remote implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add remote NAME at URL.")
    public static final class Add implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "The remote's name (letters, digits, '.', '_', '-').")
        String name;

        @Parameters(index = "1", paramLabel = "URL", description = "Where it is: " + URLS)
        String url;

        @Option(names = "--endpoint", paramLabel = "URL", description = ENDPOINT)
        String endpoint;

        @Override
        public Integer call() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                String stored = url;
                RemoteUrl parsed = RemoteUrl.parse(url, StoreCli.workingDirectory(spec));
                if (parsed instanceof RemoteUrl.Local l) {
                    stored = l.path().toString();   // a relative path means the same wherever vmtree runs
                }
                String ep = checkEndpoint(parsed, endpoint);
                new Remotes(ts).add(name, stored, ep);
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", name).field("url", stored)
                            .field("endpoint", ep).endObject());
                } else {
                    Dom0Cli.say(spec, "added remote " + name + " (" + stored + (ep == null ? "" : " at " + ep) + ")");
                }
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "remove", aliases = "rm", mixinStandardHelpOptions = true,
            description = "Remove remote NAME and its remote-tracking refs (NAME/BRANCH).")
    public static final class Remove implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "The remote to remove.")
        String name;

        @Override
        public Integer call() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                String url = new Remotes(ts).remove(name);
                int dropped = 0;
                try (WriteTransaction tx = ts.beginWrite()) {
                    for (var e : ts.repository().refs().entrySet()) {
                        if (e.getKey().startsWith("refs/remotes/" + name + "/")) {
                            tx.updateRef(e.getKey(), e.getValue(), null, "remote remove " + name);
                            dropped++;
                        }
                    }
                }
                deleteTree(ts.repository().storeDirectory().resolve("remotes").resolve(name));
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("name", name).field("url", url)
                            .field("trackingRefsRemoved", dropped).endObject());
                } else {
                    Dom0Cli.say(spec, "removed remote " + name + " (" + url + ") and " + dropped + " remote-tracking refs");
                }
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List the remotes and their URLs.")
    public static final class ListRemotes implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                Map<String, String> all = new Remotes(ts).list();
                if (Dom0Cli.json(spec)) {
                    Json j = new Json().beginArray();
                    all.forEach((n, u) -> j.beginObject().field("name", n).field("url", u).endObject());
                    Dom0Cli.printJson(spec, j.endArray());
                } else {
                    all.forEach((n, u) -> spec.commandLine().getOut().println(n + "\t" + u));
                }
                return ExitCodes.OK;
            }
        }
    }

    /** {@code vmtree remote export DIR [--force]}. */
    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Write or update in DIR a static layout of this repository's branches and tags that any web"
                    + " server can serve as a read-only remote (clone and fetch read it at http(s)://.../DIR;"
                    + " docs/remotes.md \"HTTP remotes\"). Only what DIR lacks is written, and its listings last, so a"
                    + " reader never sees a ref before what it needs. A branch there moves only forward and a tag not"
                    + " at all without --force; refs deleted here stay there. Exit status 1 when a ref was refused.")
    public static final class Export implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "The layout's directory (created when absent or empty).")
        Path dir;

        @Option(names = {"-f", "--force"}, description = "Move branches there that are not fast-forwards, and tags.")
        boolean force;

        @Override
        public Integer call() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                Path target = StoreCli.workingDirectory(spec).resolve(dir).toAbsolutePath().normalize();
                return report(spec, "export", transfer(ts, "export " + target, c -> new Sync(ts).export(target, force, c)));
            }
        }
    }

    /** {@code vmtree push REMOTE [REF...] [--force]}. */
    @Command(name = "push", mixinStandardHelpOptions = true,
            description = {"Send branches and tags REF (default: the current instance's branch) to REMOTE under the same"
                    + " names, with every snapshot and chunk they need that REMOTE lacks. A remote branch moves only"
                    + " forward and a remote tag not at all without --force. A path that does not exist or is empty"
                    + " becomes a bare vmtree repository. Exit status 1 when a ref was refused.", URLS})
    public static final class Push implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "REMOTE", description = "A remote's name or URL.")
        String remote;

        @Parameters(index = "1..*", arity = "0..*", paramLabel = "REF", description = "Branches or tags to push.")
        List<String> refs = new ArrayList<>();

        @Option(names = {"-f", "--force"}, description = "Move remote refs that are not fast-forwards, and remote tags.")
        boolean force;

        @Override
        public Integer call() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                return report(spec, "push", transfer(ts, "push " + remote, c -> new Sync(ts).push(remote, refs, force, c)));
            }
        }
    }

    /** {@code vmtree fetch REMOTE [--force] [--all-chunks]}. */
    @Command(name = "fetch", mixinStandardHelpOptions = true,
            description = {"Bring REMOTE's branches here as remote-tracking refs REMOTE/BRANCH and its tags as tags,"
                    + " with every snapshot and chunk they need that this repository lacks; each chunk is verified"
                    + " before it is stored and no ref moves before all of it is here. An existing tag at another"
                    + " snapshot is not moved without --force. An interrupted fetch keeps what it verified: run it"
                    + " again to resume.",
                "In a lazy clone (`clone --lazy`) a fetch from its promisor brings snapshots and page-tree nodes only,"
                    + " as the clone did; --all-chunks brings everything, then every chunk any branch, tag, reflog or"
                    + " instance here needs that is still absent, and the clone is a full one from then on (fsck counts"
                    + " none promised). It says how many of those chunks were here already: what machines had faulted"
                    + " in.", URLS})
    public static final class Fetch implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "REMOTE",
                description = "A remote's name (or a URL: tags only); default: origin.")
        String remote;

        @Option(names = {"-f", "--force"}, description = "Move existing tags to the remote's snapshots.")
        boolean force;

        @Option(names = "--all-chunks",
                description = "Also fetch every chunk reachable here that this repository lacks (completes a lazy clone).")
        boolean allChunks;

        @Override
        public Integer call() {
            String from = remote == null ? "origin" : remote;
            try (Toolstack ts = Dom0Cli.open(spec)) {
                return report(spec, "fetch", transfer(ts, "fetch " + from, c -> new Sync(ts).fetch(from, force, allChunks, c)));
            }
        }
    }

    /** {@code vmtree pull REMOTE [-i INSTANCE]}. */
    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Fetch REMOTE, fast-forward the instance's branch to REMOTE/BRANCH, and check the instance out"
                    + " there when it has no uncommitted state. Machine states cannot be merged: a branch that has"
                    + " diverged from the remote's is an error.")
    public static final class Pull implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "REMOTE", description = "A remote's name.")
        String remote;

        @Option(names = {"-i", "--instance"}, paramLabel = "NAME", description = "The instance (default: the current one).")
        String instance;

        @Override
        public Integer call() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                return report(spec, "pull", transfer(ts, "pull " + remote, c -> new Sync(ts).pull(remote, instance, c)));
            }
        }
    }

    /** The endpoint as it is kept, checked; BAD_INPUT for one given with a URL that is not s3://. */
    static String checkEndpoint(RemoteUrl url, String endpoint) {
        if (endpoint == null) {
            return null;
        }
        if (!(url instanceof RemoteUrl.S3)) {
            throw new CliException(ExitCodes.USAGE, "--endpoint is for s3:// URLs only");
        }
        return dev.vmtree.dom0.remote.S3Settings.parseEndpoint(endpoint).toString();
    }

    /** {@code vmtree clone URL [DIR] [--instance NAME]}. */
    @Command(name = "clone", mixinStandardHelpOptions = true,
            description = {"Make a repository in DIR (default: the URL's last part) from URL: remote origin, a branch"
                    + " for each of its branches, its tags, and an instance on its default branch (named after the"
                    + " branch, or --instance).", URLS})
    public static final class Clone implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "URL", description = "Where the repository is.")
        String url;

        @Parameters(index = "1", arity = "0..1", paramLabel = "DIR", description = "The new repository's directory.")
        Path dir;

        @Option(names = "--instance", paramLabel = "NAME", description = "Name of the instance to create.")
        String instance;

        @Option(names = "--lazy",
                description = "Fetch the snapshots and their page-tree nodes only, not the pages: origin becomes the"
                        + " promisor of the pages ([remote \"origin\"] promisor = true), and a machine faults each in, verified,"
                        + " when it first touches it. `vmtree fetch --all-chunks` completes the clone.")
        boolean lazy;

        @Option(names = "--endpoint", paramLabel = "URL", description = ENDPOINT)
        String endpoint;

        @Override
        public Integer call() throws Exception {
            Path base = StoreCli.workingDirectory(spec);
            RemoteUrl parsed = RemoteUrl.parse(url, base);
            String ep = checkEndpoint(parsed, endpoint);
            String stored = parsed instanceof RemoteUrl.Local l ? l.path().toString() : url;
            Path target = base.resolve(dir != null ? dir : Path.of(defaultDirectory(parsed)));
            if (Files.exists(target) && (!Files.isDirectory(target) || !isEmpty(target))) {
                throw new CliException(ExitCodes.FAILURE, "destination " + target + " exists and is not an empty directory");
            }
            boolean made = !Files.exists(target);
            boolean ok = false;
            try (Toolstack ts = Toolstack.init(target)) {
                Dom0Cli.attach(spec, ts);
                Sync.Outcome o = transfer(ts, "clone " + url, c -> new Sync(ts).cloneFrom(stored, ep, instance, lazy, c));
                ok = true;
                InstanceRecord r = o.instance();
                if (Dom0Cli.json(spec)) {
                    Json j = summary(new Json().beginObject().field("directory", target.toString()), o);
                    j.field("instance", r == null ? null : r.name()).field("lazy", lazy);
                    Dom0Cli.printJson(spec, j.endObject());
                } else {
                    Dom0Cli.say(spec, "cloned " + o.remote() + " into " + target + ": " + figures(o.result())
                            + (r == null ? "; it has no branches" : "; instance " + r.name() + " on branch " + r.branch()
                            + " at " + r.base().shortHex()));
                    if (lazy) {
                        Dom0Cli.say(spec, "lazy clone: pages stay on origin until a machine touches them"
                                + " (`vmtree fetch --all-chunks` brings them all)");
                    }
                }
                return ExitCodes.OK;
            } finally {
                if (!ok) {
                    // a clone that failed leaves nothing behind, as git's does
                    deleteTree(made ? target : target.resolve(dev.vmtree.store.Repository.DIR));
                }
            }
        }

        private static String defaultDirectory(RemoteUrl u) {
            String t = switch (u) {
                case RemoteUrl.Local l -> l.path().getFileName() == null ? "clone" : l.path().getFileName().toString();
                case RemoteUrl.Ssh s -> s.path();
                case RemoteUrl.Http h -> h.base().getPath();
                case RemoteUrl.S3 o -> o.prefix().isEmpty() ? o.bucket() : o.prefix();
            };
            String[] parts = t.replaceAll("/+$", "").split("/");
            String last = parts.length == 0 ? "clone" : parts[parts.length - 1];
            return last.isEmpty() || last.equals("..") || last.equals(".") ? "clone" : last;
        }

        private static boolean isEmpty(Path d) throws java.io.IOException {
            try (var s = Files.list(d)) {
                return s.findAny().isEmpty();
            }
        }
    }

    /** Runs one transfer with its progress line (chunks moved) on a terminal. */
    private static Sync.Outcome transfer(Toolstack ts, String label,
                                         java.util.function.Function<Transfer.Counters, Sync.Outcome> work) {
        Transfer.Counters c = new Transfer.Counters();
        try (var p = ts.progress().begin(label, "chunks", c.chunks::sum)) {
            return work.apply(c);
        }
    }

    private static String figures(Transfer.Result r) {
        return r.snapshots() + " snapshots, " + r.chunks() + " chunks (" + r.bytes() + " bytes)";
    }

    private static Json summary(Json j, Sync.Outcome o) {
        Transfer.Result r = o.result();
        j.field("remote", o.remote()).field("snapshots", r.snapshots()).field("chunks", r.chunks()).field("bytes", r.bytes());
        Completion.Result c = o.completed();
        if (c != null) {
            j.name("allChunks").beginObject().field("reachable", c.reachable()).field("present", c.present())
                    .field("fetched", c.fetched()).field("bytes", c.bytes()).endObject();
        }
        j.name("refs").beginArray();
        for (Transfer.RefUpdate u : r.refs()) {
            j.beginObject().field("from", u.from()).field("to", u.to())
                    .field("old", u.oldSnapshot() == null ? null : u.oldSnapshot().hex())
                    .field("new", u.newSnapshot().hex()).field("outcome", u.outcome().name().toLowerCase())
                    .field("reason", u.why()).endObject();
        }
        return j.endArray();
    }

    private static int report(CommandSpec spec, String verb, Sync.Outcome o) {
        Transfer.Result r = o.result();
        if (Dom0Cli.json(spec)) {
            Json j = summary(new Json().beginObject().field("ok", !r.anyRejected()), o);
            if (o.instance() != null) {
                j.field("instance", o.instance().name()).field("base", o.instance().base().hex());
            }
            Dom0Cli.printJson(spec, j.field("note", o.note()).endObject());
        } else {
            Dom0Cli.say(spec, verb + " " + o.remote() + ": " + figures(r));
            Completion.Result c = o.completed();
            if (c != null) {
                Dom0Cli.say(spec, "all chunks: " + c.present() + " of the " + c.reachable() + " chunks reachable here were"
                        + " here already" + (c.reachable() == 0 ? "" : String.format(" (%.1f%%)", 100.0 * c.present() / c.reachable()))
                        + "; fetched the other " + c.fetched() + " (" + c.bytes() + " bytes): none is promised now");
            }
            for (Transfer.RefUpdate u : r.refs()) {
                if (u.outcome() == Transfer.Outcome.UP_TO_DATE) {
                    continue;
                }
                String line = switch (u.outcome()) {
                    case NEW -> " * [new]      " + show(u.from()) + " -> " + show(u.to()) + " " + u.newSnapshot().shortHex();
                    case FAST_FORWARD -> "   " + u.oldSnapshot().shortHex() + ".." + u.newSnapshot().shortHex() + "  "
                            + show(u.from()) + " -> " + show(u.to());
                    case FORCED -> " + " + u.oldSnapshot().shortHex() + "..." + u.newSnapshot().shortHex() + " "
                            + show(u.from()) + " -> " + show(u.to()) + " (forced)";
                    case REJECTED -> " ! [rejected] " + show(u.from()) + " -> " + show(u.to()) + " (" + u.why() + ")";
                    case UP_TO_DATE -> "";
                };
                Dom0Cli.say(spec, line);
            }
            if (o.note() != null) {
                Dom0Cli.say(spec, o.note());
            }
        }
        if (r.anyRejected()) {
            if (!Dom0Cli.json(spec)) {
                spec.commandLine().getErr().println("vmtree: some refs were refused (see above)");
            }
            return ExitCodes.FAILURE;
        }
        return ExitCodes.OK;
    }

    private static String show(String ref) {
        for (String p : List.of("refs/heads/", "refs/tags/", "refs/remotes/", "refs/")) {
            if (ref.startsWith(p)) {
                return ref.substring(p.length());
            }
        }
        return ref;
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (java.io.IOException ignored) {
            // best effort: what is left names itself
        }
    }

}
