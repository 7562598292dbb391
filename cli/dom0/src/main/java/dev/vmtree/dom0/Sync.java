package dev.vmtree.dom0;

import dev.vmtree.dom0.policy.AuditLog;
import dev.vmtree.dom0.remote.Connector;
import dev.vmtree.dom0.remote.RemoteUrl;
import dev.vmtree.store.Completion;
import dev.vmtree.store.RefResult;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.StaticLayout;
import dev.vmtree.store.StoreException;
import dev.vmtree.store.Transfer;
import dev.vmtree.store.WriteTransaction;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Push, fetch, pull and clone (docs/remotes.md): the policy around {@link Transfer}. Branches of a
 * remote are fetched as remote-tracking refs {@code refs/remotes/NAME/BRANCH}, tags as tags (an
 * existing tag at another snapshot is not moved without force); a push moves a remote ref only
 * forward without force; pull fast-forwards the instance's branch and checks the instance out when
 * it is clean, since machine states cannot be merged. Forced changes are audited.
 */
public final class Sync {
    private final Toolstack ts;

    public Sync(Toolstack ts) {
        this.ts = ts;
    }

    /**
     * What a fetch, push or pull did, for pull where the instance now stands, and for
     * {@code fetch --all-chunks} what completing the repository found and fetched (else null).
     */
    public record Outcome(String remote, Transfer.Result result, InstanceRecord instance, String note,
                          Completion.Result completed) {
        public Outcome(String remote, Transfer.Result result, InstanceRecord instance, String note) {
            this(remote, result, instance, note, null);
        }
    }

    /**
     * The remote a user names: a configured remote, else a URL (as git takes either). The returned
     * remote's chunk connection is the caller's to close.
     */
    Transfer.Remote connect(String nameOrUrl, boolean forPush) {
        Map<String, String> remotes = new Remotes(ts).list();
        String name = remotes.containsKey(nameOrUrl) ? nameOrUrl : null;
        String url = name != null ? remotes.get(name) : nameOrUrl;
        RemoteUrl parsed = RemoteUrl.parse(url, ts.repository().topDirectory());
        String endpoint = name == null ? null : new Remotes(ts).endpoint(name);
        if (parsed instanceof RemoteUrl.S3 s3 && endpoint != null) {
            parsed = s3.withEndpoint(dev.vmtree.dom0.remote.S3Settings.parseEndpoint(endpoint));
        }
        String cacheName = name != null ? name
                : "url-" + dev.vmtree.store.ChunkId.hash(parsed.text().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .hex().substring(0, 16);
        Path cache = ts.repository().storeDirectory().resolve("remotes").resolve(cacheName);
        return Connector.open(parsed, name, cache, forPush, Toolstack.LOCK_TIMEOUT, ts.notices());
    }


    /**
     * Fetches every branch (as NAME/BRANCH), tag, and migrated instance (as NAME/migrations/INSTANCE,
     * docs/migration.md) of {@code remote}.
     */
    public Outcome fetch(String remote, boolean force, Transfer.Counters counters) {
        return fetch(remote, force, false, counters);
    }

    /**
     * Fetches every branch (as NAME/BRANCH) and tag of {@code remote}: from the promisor of a lazy
     * clone only their snapshots and page-tree nodes, the pages staying promised (docs/remotes.md,
     * "Lazy clones"). With {@code allChunks}, everything, and then every chunk reachable here that
     * this repository still lacks, from {@code remote}; once it has them all, no remote promises
     * any: the lazy clone is a full one.
     */
    public Outcome fetch(String remote, boolean force, boolean allChunks, Transfer.Counters counters) {
        Transfer.Remote r = connect(remote, false);
        boolean lazy = !allChunks && r.name() != null && new Remotes(ts).promisor().filter(r.name()::equals).isPresent();
        // a URL that names no remote has no name for remote-tracking refs: its tags only, as `git fetch URL`
        Function<String, String> map = ref -> ref.startsWith("refs/heads/")
                ? (r.name() == null ? null : "refs/remotes/" + r.name() + "/" + ref.substring(11))
                : ref.startsWith(Transfer.MIGRATIONS)
                ? (r.name() == null ? null : "refs/remotes/" + r.name() + "/" + ref.substring(5))
                : ref.startsWith("refs/tags/") ? ref : null;
        try (var chunks = r.chunks()) {
            Transfer.Result res = Transfer.fetch(ts.repository(), r, map, force, lazy, counters, Toolstack.LOCK_TIMEOUT,
                    ts.notices());
            auditForced(res, "fetch " + r.describe());
            Completion.Result done = null;
            if (allChunks) {
                done = Completion.complete(ts.repository(), r, counters, Toolstack.LOCK_TIMEOUT, ts.notices());
                Remotes remotes = new Remotes(ts);
                java.util.Optional<String> promisor = remotes.promisor();
                if (promisor.isPresent()) {
                    remotes.setPromisor(promisor.get(), false);   // every chunk is here: nothing is promised any more
                    ts.usePromisor();
                }
            }
            return new Outcome(r.describe(), res, null, null, done);
        } catch (IOException e) {
            throw interrupted(r, e);
        } catch (StoreException e) {
            throw ToolstackException.failed(e.getMessage());
        }
    }

    /**
     * Pushes {@code refs} (branch or tag names, or full ref names; empty: the current instance's
     * branch) to the same names on {@code remote}.
     */
    public Outcome push(String remote, List<String> refs, boolean force, Transfer.Counters counters) {
        Map<String, SnapshotId> all = ts.repository().refs();
        Map<String, String> named = new LinkedHashMap<>();
        List<String> asked = refs;
        if (asked.isEmpty()) {
            InstanceRecord cur = ts.instances().current();
            if (cur.branch() == null) {
                throw ToolstackException.failed("instance " + cur.name() + " is detached: name the branches or tags to push");
            }
            asked = List.of(cur.branch());
        }
        for (String ref : asked) {
            String full = ref.startsWith("refs/") ? ref
                    : all.containsKey("refs/heads/" + ref) ? "refs/heads/" + ref : "refs/tags/" + ref;
            if (!(full.startsWith("refs/heads/") || full.startsWith("refs/tags/")) || !all.containsKey(full)) {
                throw ToolstackException.badInput("no branch or tag named " + ref);
            }
            named.put(full, full);
        }
        Transfer.Remote r = connect(remote, true);
        try (var chunks = r.chunks()) {
            Transfer.Result res = Transfer.push(ts.repository(), r, named, force, counters, Toolstack.LOCK_TIMEOUT, ts.notices());
            auditForced(res, "push " + r.describe());
            return new Outcome(r.describe(), res, null, null);
        } catch (IOException e) {
            throw interrupted(r, e);
        } catch (StoreException e) {
            throw ToolstackException.failed(e.getMessage());
        }
    }

    /**
     * A remote opened for pushes, for a caller that must know where it pushes (and that it can) before
     * it writes what it will push ({@code vmtree migrate}). Closing it closes the connection.
     */
    public final class Target implements AutoCloseable {
        private final Transfer.Remote remote;

        private Target(Transfer.Remote remote) {
            this.remote = remote;
        }

        /** The remote's URL as messages show it. */
        public String describe() {
            return remote.describe();
        }

        /**
         * Pushes each local ref (full names, any namespace a transfer moves) to the remote ref it maps to:
         * as {@link #push}, a remote ref moves only forward without {@code force}.
         */
        public Outcome push(Map<String, String> refs, boolean force, Transfer.Counters counters) {
            try {
                Transfer.Result res = Transfer.push(ts.repository(), remote, refs, force, counters, Toolstack.LOCK_TIMEOUT,
                        ts.notices());
                auditForced(res, "push " + remote.describe());
                return new Outcome(remote.describe(), res, null, null);
            } catch (IOException e) {
                throw interrupted(remote, e);
            } catch (StoreException e) {
                throw ToolstackException.failed(e.getMessage());
            }
        }

        @Override
        public void close() {
            try {
                remote.chunks().close();
            } catch (IOException e) {
                // the transfers are done or failed already; closing loses nothing
            }
        }
    }

    /**
     * Opens {@code remote} (a configured remote's name, else a URL) for {@link Target#push}es; unless
     * {@code create}, FAILED when it holds no vmtree repository or store.
     */
    public Target open(String remote, boolean create) {
        return new Target(connect(remote, create));
    }

    /**
     * Fetches {@code remote}, fast-forwards the instance's branch to the remote's branch of the same
     * name, and checks the instance out there when it has no uncommitted state (else says so and
     * leaves it where it is).
     */
    public Outcome pull(String remote, String instance, Transfer.Counters counters) {
        InstanceRecord inst = ts.instances().resolve(instance);
        if (inst.branch() == null) {
            throw ToolstackException.failed("instance " + inst.name() + " is detached: check out a branch to pull into");
        }
        if (!new Remotes(ts).list().containsKey(remote)) {
            throw ToolstackException.failed("no remote named " + remote + " (pull needs a named remote: `vmtree remote add`)");
        }
        Outcome fetched = fetch(remote, false, counters);
        String branch = "refs/heads/" + inst.branch();
        String tracking = "refs/remotes/" + remote + "/" + inst.branch();
        Map<String, SnapshotId> refs = ts.repository().refs();
        SnapshotId theirs = refs.get(tracking);
        if (theirs == null) {
            throw ToolstackException.failed(remote + " has no branch " + inst.branch());
        }
        SnapshotId ours = refs.get(branch);
        String note;
        if (theirs.equals(ours)) {
            note = "already up to date";
        } else if (ours != null && !isAncestor(ours, theirs)) {
            throw ToolstackException.failed("branch " + inst.branch() + " and " + remote + "/" + inst.branch()
                    + " have diverged; machine states cannot be merged: check out one of them"
                    + " (`vmtree checkout -b NEW " + remote + "/" + inst.branch() + "`) or push --force");
        } else {
            try (WriteTransaction tx = ts.beginWrite()) {
                RefResult rr = tx.updateRef(branch, ours, theirs, "pull " + remote + ": fast-forward");
                if (!rr.ok()) {
                    throw ToolstackException.failed("branch " + inst.branch() + " moved meanwhile (" + rr.status() + ")");
                }
            }
            note = "fast-forward " + (ours == null ? "" : ours.shortHex() + "..") + theirs.shortHex();
        }
        InstanceRecord now = ts.instances().get(inst.name());
        if (!now.base().equals(theirs)) {
            if (now.dirty()) {
                note += "; instance " + now.name() + " has uncommitted state and stays at " + now.base().shortHex()
                        + " (commit or `vmtree checkout --discard " + inst.branch() + "`)";
            } else {
                now = ts.checkout(now.name(), inst.branch(), false);
            }
        }
        return new Outcome(fetched.remote(), fetched.result(), now, note);
    }

    /**
     * Fills a new repository from {@code url}: remote {@code origin}, a local branch for each of its
     * branches, its tags, and an instance on the default branch (named after it unless
     * {@code instance} is given). Returns the instance (null when the remote has no branch).
     */
    public Outcome cloneFrom(String url, String instance, Transfer.Counters counters) {
        return cloneFrom(url, null, instance, counters);
    }

    /** As {@link #cloneFrom(String, String, Transfer.Counters)}, from an S3 URL on the server at {@code endpoint}. */
    public Outcome cloneFrom(String url, String endpoint, String instance, Transfer.Counters counters) {
        return cloneFrom(url, endpoint, instance, false, counters);
    }

    /**
     * {@link #cloneFrom(String, String, String, Transfer.Counters)}; {@code lazy} fetches the
     * snapshots and their page-tree nodes only and records origin as the promisor of the pages
     * (docs/remotes.md, "Lazy clones"): machines fault them in from it as they touch them.
     */
    public Outcome cloneFrom(String url, String endpoint, String instance, boolean lazy, Transfer.Counters counters) {
        Remotes remotes = new Remotes(ts);
        remotes.add("origin", url, endpoint);
        if (lazy) {
            remotes.setPromisor("origin", true);
            ts.usePromisor();
        }
        Outcome o = fetch("origin", false, counters);
        Map<String, SnapshotId> refs = ts.repository().refs();
        List<String> branches = new ArrayList<>();
        try (WriteTransaction tx = ts.beginWrite()) {
            for (var e : refs.entrySet()) {
                if (e.getKey().startsWith("refs/remotes/origin/")) {
                    String b = e.getKey().substring("refs/remotes/origin/".length());
                    tx.updateRef("refs/heads/" + b, null, e.getValue(), "clone: from " + url);
                    branches.add(b);
                }
            }
        }
        if (branches.isEmpty()) {
            return new Outcome(o.remote(), o.result(), null, "the remote has no branches");
        }
        String head = o.result().remoteHead();
        String def = head != null && head.startsWith("refs/heads/") && branches.contains(head.substring(11))
                ? head.substring(11) : branches.contains("main") ? "main" : branches.getFirst();
        InstanceRecord r = ts.addInstance(instance != null ? instance : def, def, false);
        return new Outcome(o.remote(), o.result(), r, null);
    }

    /**
     * Writes or updates a static layout in {@code dir} (docs/format.md, "HTTP static layout") that
     * a web server can serve as a read-only remote: every branch and tag of this repository, with
     * what it needs that the layout lacks, then the listings a reader over HTTP needs.
     */
    public Outcome export(Path dir, boolean force, Transfer.Counters counters) {
        try {
            Transfer.Result res = StaticLayout.export(ts.repository(), dir, force, counters, Toolstack.LOCK_TIMEOUT,
                    ts.notices());
            auditForced(res, "remote export " + dir);
            return new Outcome(dir.toString(), res, null, null);
        } catch (IOException e) {
            throw ToolstackException.failed("export to " + dir + " failed (" + dev.vmtree.store.fs.IoErrors.reason(e)
                    + "); readers still see the layout as it was: run the same command again");
        } catch (StoreException e) {
            throw ToolstackException.failed(e.getMessage());
        }
    }

    private boolean isAncestor(SnapshotId a, SnapshotId b) {
        return ts.history().isAncestorOfAny(a, List.of(b));
    }

    private void auditForced(Transfer.Result res, String what) {
        for (Transfer.RefUpdate u : res.refs()) {
            if (u.outcome() == Transfer.Outcome.FORCED && !u.to().startsWith("refs/remotes/")) {
                ts.policy().audit(AuditLog.FORCE, null, AuditLog.Outcome.OK, what + ": " + u.to() + " "
                        + (u.oldSnapshot() == null ? "-" : u.oldSnapshot().shortHex()) + " -> " + u.newSnapshot().shortHex());
            }
        }
    }

    private static ToolstackException interrupted(Transfer.Remote r, IOException e) {
        return ToolstackException.failed("transfer with " + r.describe() + " interrupted ("
                + dev.vmtree.store.fs.IoErrors.reason(e) + "); what arrived was verified and kept: run the same command"
                + " again to resume");
    }
}
