package dev.vmtree.dom0.service;

import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.MigrationStream;
import dev.vmtree.dom0.Migrations;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.dom0.WorkingState;
import dev.vmtree.store.ChunkId;
import dev.vmtree.store.ChunkStore;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Transfer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The source half of a live migration (docs/migration.md, "Live migration"), run by the Dom0 daemon
 * that runs the instance, for {@code migrate --live}: pre-copy, as Xen's. Round 0 saves the running
 * machine (the guest waits only for the copy-on-write capture) and pushes it to the destination
 * repository as a migration snapshot; each later round saves again and streams, in the migration
 * stream, only the chunks that changed since the round before, while the guest runs on. When a round
 * dirtied few pages, or stopped shrinking, or after the last round allowed, the guest is paused, the
 * last changes are sent with the final state, and the destination's Dom0 verifies it, adds the
 * instance and starts it. Then the instance here is retired and its run ends; the time from the pause
 * to the destination's answer is the downtime.
 *
 * <p>Failure: before the final round nothing here changes but the working state saved each round; a
 * destination that refuses the final state lets the guest here run on. A destination that does not
 * answer after the final state leaves the guest here paused (it may or may not run there: the message
 * says how to find out), never running in two places.
 */
final class LiveMigration {
    /** A round that dirtied at most this many pages ends the pre-copy (1 MiB of 4 KiB pages). */
    static final long FEW_PAGES = 256;

    private final Path top;
    private final Supervisor s;
    private final Path dest;
    private final int maxRounds;
    private final Consumer<Map<String, Object>> events;

    LiveMigration(Path top, Supervisor s, Path dest, int maxRounds, Consumer<Map<String, Object>> events) {
        this.top = top;
        this.s = s;
        this.dest = dest;
        this.maxRounds = maxRounds;
        this.events = events;
    }

    /** One saved round: the record as saved, and how many pages had changed since the save before. */
    private record Saved(InstanceRecord record, long dirtyPages) {}

    /** What the migration did, for the reply. */
    record Result(int rounds, List<Long> pagesPerRound, long chunks, long bytes, long downtimeMicros, long totalMicros,
                  String state, Object destinationPid, Map<String, Object> downtime) {}

    Result run() throws IOException {
        long start = System.nanoTime();
        String name = s.name();
        if (s.state() != Supervisor.State.RUNNING && s.state() != Supervisor.State.PAUSED) {
            throw ToolstackException.failed("instance " + name + " is " + s.state().word() + "; only a running or paused"
                    + " instance migrates live");
        }
        if (dest.toAbsolutePath().normalize().equals(top.toAbsolutePath().normalize())) {
            throw ToolstackException.badInput("the destination is this repository");
        }
        try (Toolstack there = Toolstack.open(dest)) {
            // the destination refuses it too, later; asked now, the refusal costs no push
            if (there.instances().find(name).isPresent()) {
                throw ToolstackException.failed("instance '" + name + "' already exists in " + dest);
            }
        }
        List<Long> pages = new ArrayList<>();
        long chunks = 0, bytes = 0;
        try (Toolstack ts = Toolstack.open(top);
             Dom0Client there = Dom0Client.connect(dest).orElseThrow(() -> ToolstackException.failed("no Dom0 runs for "
                     + dest + " (start it there: `vmtree -C " + dest + " daemon`, or any `vmtree start` there)"))) {
            // round 0: everything the destination lacks, through a push, the guest running on
            Saved zero = save();
            Transfer.Counters counters = new Transfer.Counters();
            Migrations.RoundZero pushed = ts.migrations().pushRoundZero(zero.record(), dest.toString(), counters);
            pages.add(zero.dirtyPages());
            chunks += pushed.pushed().result().chunks();
            bytes += pushed.pushed().result().bytes();
            event(0, zero.dirtyPages(), pushed.pushed().result().chunks(), pushed.pushed().result().bytes(), start);

            there.send(Json.object("op", "receive", "instance", name, "snapshot", pushed.snapshot().hex(),
                    "engine", s.engine().engine(), "engineSource", s.engine().source()));
            there.awaitEvent("ready");
            MigrationStream.Writer out = new MigrationStream.Writer(new BufferedOutputStream(there.streamOut(), 1 << 16));
            ChunkStore store = ts.repository().chunks();
            WorkingState before = zero.record().working();
            boolean wasRunning = s.state() == Supervisor.State.RUNNING;
            long paused = 0, stopped = 0, saved = 0, sentAll = 0;
            // round 0 took the state files there as a snapshot's files, not as the chunks a working state names
            Map<String, ChunkId> filesThere = Map.of();
            Saved last = zero;
            try {
                for (int round = 1; ; round++) {
                    // what this round would carry: the pages dirtied while the last one was sent
                    long dirtyNow = s.between(() -> s.life().machine().dirtyPages()).join();
                    boolean shrinking = round == 1 || dirtyNow < pages.getLast();
                    boolean finalRound = round >= maxRounds || dirtyNow <= FEW_PAGES || !shrinking;
                    if (finalRound) {
                        paused = System.nanoTime();
                        if (wasRunning) {
                            s.pause();
                            s.between(() -> null).join();       // the guest has stopped between two slices
                        }
                        stopped = System.nanoTime();
                    }
                    long t = System.nanoTime();
                    last = save();
                    saved = System.nanoTime();
                    long[] sent = send(store, before, filesThere, last.record().working(), out);
                    filesThere = last.record().working().files();
                    out.round(last.dirtyPages());
                    out.flush();
                    chunks += sent[0];
                    bytes += sent[1];
                    pages.add(last.dirtyPages());
                    event(round, last.dirtyPages(), sent[0], sent[1], t);
                    before = last.record().working();
                    if (finalRound) {
                        break;
                    }
                }
                InstanceRecord r = last.record();
                WorkingState w = r.working();
                out.state(new MigrationStream.State(name, r.base(), r.branch(), w.stateId(), w.instructionsSinceBase(),
                        r.pendingGeneration(), w.images(), w.files()));
                out.end();
                sentAll = System.nanoTime();
            } catch (RuntimeException | IOException e) {
                if (paused != 0 && wasRunning) {
                    s.resume();     // the destination has no final state: it cannot run it
                }
                if (e instanceof IOException) {
                    // the destination stopped reading: it says why in its reply, when it could send one
                    try {
                        there.reply(x -> {});
                    } catch (Dom0Client.Lost lost) {
                        throw e;
                    } catch (ToolstackException refused) {
                        throw ToolstackException.failed("the destination refused instance " + name + " ("
                                + refused.getMessage() + "); it runs on here");
                    }
                }
                throw e;
            }
            Map<String, Object> reply;
            try {
                reply = there.reply(e -> {});
            } catch (Dom0Client.Lost e) {
                    throw ToolstackException.failed("the destination's Dom0 did not answer after the final state: instance "
                            + name + " stays paused here, its state saved; see `vmtree -C " + dest + " ps`: if it runs"
                            + " there, `vmtree instance remove --force " + name + "` here, else `vmtree resume -i " + name + "`");
            } catch (ToolstackException e) {
                if (wasRunning) {
                    s.resume();
                }
                throw ToolstackException.failed("the destination refused instance " + name + " (" + e.getMessage()
                        + "); it runs on here");
            }
            long answered = System.nanoTime();
            long downtime = answered - paused;
            Map<String, Object> phases = Json.object("pauseMicros", (stopped - paused) / 1000,
                    "saveMicros", (saved - stopped) / 1000, "sendMicros", (sentAll - saved) / 1000,
                    "destinationMicros", (answered - sentAll) / 1000, "arriveMicros", reply.get("arriveMicros"),
                    "startMicros", reply.get("startMicros"));
            synchronized (s.sessionLock) {
                s.life().retire(new InstanceRecord.Migration(dest.toString(), "refs/instances/" + name,
                        last.record().base(), Instant.now()));
            }
            s.stop();
            try {
                s.end().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the run ends as soon as its last save is done; the instance is retired already
            }
            return new Result(pages.size(), pages, chunks, bytes, downtime / 1000, (System.nanoTime() - start) / 1000,
                    last.record().working().stateId().hex(), reply.get("pid"), phases);
        }
    }

    /**
     * Saves the machine as the instance's working state, as a running commit does: the guest waits only
     * for the capture; the write runs beside it, then the machine is told what was saved.
     */
    private Saved save() {
        record Captured(MachineDriver.Capture capture, long dirty) {}
        Captured cap = s.between(() -> new Captured(s.life().capture(), s.life().machine().dirtyPages())).join();
        InstanceRecord saved;
        synchronized (s.sessionLock) {
            saved = s.life().save(cap.capture(), cap.dirty());
            InstanceRecord named = saved;
            s.between(() -> {
                s.life().confirm(named);
                return null;
            });
        }
        return new Saved(saved, cap.dirty());
    }

    /**
     * Streams every chunk of {@code now}'s images that {@code before}'s lack and every state file not in
     * {@code filesThere} (what the destination holds as chunks); returns {chunks, bytes}.
     */
    private static long[] send(ChunkStore store, WorkingState before, Map<String, ChunkId> filesThere, WorkingState now,
                               MigrationStream.Writer out) throws IOException {
        Set<ChunkId> sent = new HashSet<>();
        List<ChunkId> ids = new ArrayList<>();
        for (var e : now.images().entrySet()) {
            PageTreeRoot was = before.images().get(e.getKey());
            PageTree.newChunks(store, was, e.getValue(), id -> {
                if (sent.add(id)) {
                    ids.add(id);
                }
            });
        }
        for (var e : now.files().entrySet()) {
            ChunkId id = e.getValue();
            if (!id.isZero() && !id.equals(filesThere.get(e.getKey())) && sent.add(id)) {
                ids.add(id);
            }
        }
        long bytes = 0;
        for (ChunkId id : ids) {
            byte[] data = store.read(id);
            out.chunk(id, data);
            bytes += data.length;
        }
        return new long[] {ids.size(), bytes};
    }

    private void event(int round, long dirty, long chunks, long bytes, long since) {
        events.accept(Json.object("event", "round", "round", (long) round, "pages", dirty, "chunks", chunks,
                "bytes", bytes, "micros", (System.nanoTime() - since) / 1000));
    }
}
