package dev.vmtree.cli;

import dev.vmtree.cow.disk.DiskImageException;
import dev.vmtree.cow.disk.DiskSnapshot;
import dev.vmtree.cow.imageio.DiskFormat;
import dev.vmtree.cow.imageio.DiskImages;
import dev.vmtree.cow.nbd.NbdExport;
import dev.vmtree.cow.nbd.NbdServer;
import dev.vmtree.cow.store.StoredImage;
import dev.vmtree.dom0.InstanceRecord;
import dev.vmtree.dom0.InstanceRun;
import dev.vmtree.dom0.MachineDriver.LiveMachine;
import dev.vmtree.dom0.MachineDriver.StateSummary;
import dev.vmtree.dom0.MachineDriver.StoredState;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Toolstack;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.fs.IoErrors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree disk ls | export | serve}: a machine's virtual disks as files and network block devices. */
@Command(name = "disk", mixinStandardHelpOptions = true,
        description = "List a machine's virtual disks, export one to a raw or qcow2 file, or serve one over NBD (a"
                + " snapshot's read-only, an instance's read-write).",
        subcommands = {DiskCommand.Ls.class, DiskCommand.Export.class, DiskCommand.Serve.class})
public final class DiskCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A state and what it is called in messages. */
    private record Source(String label, StoredState state, StateSummary summary) {}

    private static Source source(Toolstack ts, String ref, String instance) {
        Machines.Located l = ts.machines().locate(ref, instance);
        return new Source(l.label(), l.state(), ts.machines().driver().summarize(l.state()));
    }

    /** The index of disk {@code name} (null: the first), or a clear error. */
    private static int diskIndex(Source s, String name) {
        List<String> disks = s.summary().diskImages();
        if (disks.isEmpty()) {
            throw new CliException(ExitCodes.FAILURE, s.label() + " has no disks (give `vmtree create` --disk-size or"
                    + " --disk-image)");
        }
        int i = name == null ? 0 : disks.indexOf(name);
        if (i < 0) {
            throw new CliException(ExitCodes.USAGE, "no disk '" + name + "' in " + s.label() + " (it has "
                    + String.join(", ", disks) + ")");
        }
        return i;
    }

    private static DiskSnapshot snapshot(Toolstack ts, Source s, int disk) {
        PageTreeRoot root = s.state().images().get(s.summary().diskImages().get(disk));
        return new DiskSnapshot(new StoredImage(ts.repository().pageTree(root)), s.summary().diskBytes().get(disk));
    }

    @Command(name = "ls", mixinStandardHelpOptions = true,
            description = {"List the disks of snapshot REF or, without REF, of the instance's current state: name, size"
                    + " as the guest sees it, block size, blocks and blocks allocated (written and not all zero).",
                "--json: [{name, sizeBytes, blockSize, blocks, allocatedBlocks}]."},
            footer = {"", "Examples:", "  vmtree disk ls", "  vmtree --json disk ls main~1"})
    static final class Ls implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Option(names = "-i", paramLabel = "INSTANCE", description = "Without REF: this instance (default: the current one).")
        String instance;

        @Parameters(arity = "0..1", paramLabel = "REF", description = "A snapshot (default: the instance's current state).")
        String ref;

        @Override
        public Integer call() {
            try (Toolstack ts = Dom0Cli.open(spec)) {
                Source s = source(ts, ref, instance);
                Machines machines = ts.machines();
                Json j = new Json().beginArray();
                PrintWriter out = Dom0Cli.out(spec);
                if (!Dom0Cli.json(spec)) {
                    out.println(String.format("%-8s %12s %8s %10s %10s", "NAME", "SIZE", "BLOCK", "BLOCKS", "ALLOCATED"));
                }
                for (int i = 0; i < s.summary().diskImages().size(); i++) {
                    String name = s.summary().diskImages().get(i);
                    PageTreeRoot root = s.state().images().get(name);
                    long size = s.summary().diskBytes().get(i), allocated = machines.allocatedPages(root);
                    j.beginObject().field("name", name).field("sizeBytes", size).field("blockSize", root.pageSize())
                            .field("blocks", root.pageCount()).field("allocatedBlocks", allocated).endObject();
                    if (!Dom0Cli.json(spec)) {
                        out.println(String.format("%-8s %12s %8s %,10d %,10d", name, ShowCommand.size(size),
                                ShowCommand.size(root.pageSize()), root.pageCount(), allocated));
                    }
                }
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, j.endArray());
                }
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Write a disk of snapshot REF (or, without REF, of the instance's current state: its working"
                    + " state, else its base) to OUT as a raw or qcow2 image. Unallocated and all-zero blocks stay"
                    + " sparse (holes in a raw file, unallocated clusters in qcow2). OUT is replaced atomically.",
                "--json: {disk, format, file, sizeBytes, allocatedBlocks}."},
            footer = {"", "Examples:", "  vmtree disk export --format qcow2 disk.qcow2",
                "  vmtree disk export v1 --disk disk0 --format raw golden.img"})
    static final class Export implements Callable<Integer>, JsonOutput {
        @Spec
        CommandSpec spec;

        @Option(names = "-i", paramLabel = "INSTANCE", description = "Without REF: this instance (default: the current one).")
        String instance;

        @Option(names = "--disk", paramLabel = "NAME", description = "Which disk (default: the first, disk0).")
        String disk;

        @Option(names = "--format", paramLabel = "raw|qcow2", required = true, description = "The image format to write.")
        String format;

        @Parameters(arity = "1..2", paramLabel = "[REF] OUT", description = "The snapshot (default: the instance's"
                + " current state) and the file to write.")
        List<String> args;

        @Override
        public Integer call() {
            DiskFormat f;
            try {
                f = DiskFormat.named(format);
            } catch (DiskImageException e) {
                throw new CliException(ExitCodes.USAGE, "--format: " + e.getMessage());
            }
            String ref = args.size() == 2 ? args.get(0) : null;
            Path out = Path.of(args.getLast());
            if (Files.isDirectory(out)) {
                throw new CliException(ExitCodes.USAGE, out + " is a directory (give the image file to write)");
            }
            try (Toolstack ts = Dom0Cli.open(spec)) {
                Source s = source(ts, ref, instance);
                int i = diskIndex(s, disk);
                DiskSnapshot d = snapshot(ts, s, i);
                try {
                    DiskImages.export(d, f, out);
                } catch (IOException e) {
                    throw new CliException(ExitCodes.CANNOT_RUN, "cannot write " + out + ": " + IoErrors.reason(e), e);
                }
                String name = s.summary().diskImages().get(i);
                long allocated = ts.machines().allocatedPages(s.state().images().get(name));
                if (Dom0Cli.json(spec)) {
                    Dom0Cli.printJson(spec, new Json().beginObject().field("disk", name)
                            .field("format", f.qemuName()).field("file", out.toAbsolutePath().toString())
                            .field("sizeBytes", d.size()).field("allocatedBlocks", allocated).endObject());
                } else {
                    Dom0Cli.say(spec, "exported " + name + " of " + s.label() + " (" + ShowCommand.size(d.size()) + ", "
                            + allocated + " blocks allocated) to " + out + " as " + f.qemuName());
                }
                return ExitCodes.OK;
            }
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = {"Serve a disk over NBD (fixed newstyle) so qemu-img, qemu-io, qemu-nbd or a kernel can use"
                    + " it: nbd://HOST:PORT/NAME, the first line printed. HOST defaults to 127.0.0.1; port 0 picks a"
                    + " free port.",
                "With REF, the snapshot's disk, read-only. Without REF (or with -i), the instance's working disk,"
                    + " read-write: the instance is locked while served, every write is recorded in its ReplayLog, and"
                    + " when the server stops the writes are saved as its working state (dirty, committed like any"
                    + " other). If that save fails, the writes stay in memory and it is retried until it works;"
                    + " SIGINT or SIGTERM then gives up (status 1).",
                "It serves until SIGINT or SIGTERM, or with --once until the first client disconnects."},
            footer = {"", "Examples:", "  vmtree disk serve main --nbd 0",
                "  vmtree disk serve -i dev --nbd 127.0.0.1:10809 &",
                "  qemu-io -f raw -c 'write -P 0x5a 0 64k' nbd://127.0.0.1:10809/disk0"})
    static final class Serve implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "-i", paramLabel = "INSTANCE",
                description = "Serve this instance's working disk, read-write (default without REF: the current one).")
        String instance;

        @Option(names = "--disk", paramLabel = "NAME", description = "Which disk (default: the first, disk0).")
        String disk;

        @Option(names = "--nbd", paramLabel = "[HOST:]PORT", required = true,
                description = "Where to listen (HOST defaults to 127.0.0.1; port 0 picks a free port).")
        String nbd;

        @Option(names = "--once", description = "Stop when the first client disconnects.")
        boolean once;

        @Option(names = "--idle-timeout", paramLabel = "DURATION", defaultValue = "10m",
                description = "Disconnect a client that sends nothing for this long, so silent clients cannot hold"
                        + " all 16 slots (default: ${DEFAULT-VALUE}; 0: never, for a kernel client that may sit idle).")
        String idleTimeout;

        @Parameters(arity = "0..1", paramLabel = "REF", description = "A snapshot to serve read-only.")
        String ref;

        @Override
        public Integer call() {
            Endpoint at = Endpoint.parse("--nbd", nbd);
            Duration idle = StoreCli.parseDuration(idleTimeout);
            if (ref != null && instance != null) {
                throw new CliException(ExitCodes.USAGE, "give REF (read-only) or -i INSTANCE (read-write), not both");
            }
            at.warnIfReachable(spec.commandLine().getErr(), "--nbd", "NBD server", ref != null ? "can read this disk"
                    : "can read and write this disk");
            // SIGINT and SIGTERM stop the server; while a failed save is retried, they give it up
            java.util.concurrent.atomic.AtomicReference<CountDownLatch> signalled =
                    new java.util.concurrent.atomic.AtomicReference<>(new CountDownLatch(1));
            var previousInt = RunCommand.handle("INT", () -> signalled.get().countDown());
            var previousTerm = RunCommand.handle("TERM", () -> signalled.get().countDown());
            try (Toolstack ts = Dom0Cli.open(spec)) {
                if (ref != null) {
                    Source s = source(ts, ref, null);
                    int i = diskIndex(s, disk);
                    serve(at, idle, NbdExport.readOnly(s.summary().diskImages().get(i), snapshot(ts, s, i)), s.label(),
                            signalled.get());
                    return ExitCodes.OK;
                }
                try (InstanceRun life = ts.startRun(instance, "disk serve (NBD on " + at.host().getHostAddress()
                        + ":" + at.port() + ")")) {
                    InstanceRecord served = life.record();
                    Source s = source(ts, null, served.name());
                    int i = diskIndex(s, disk);
                    AtomicLong writes = new AtomicLong();
                    LiveMachine m = life.machine();
                    serve(at, idle, NbdExport.readWrite(s.summary().diskImages().get(i), m.disk(i), (offset, length) -> {
                        m.recordDiskWrite(i, offset, length);
                        writes.incrementAndGet();
                    }), s.label(), signalled.get());
                    if (writes.get() > 0) {
                        String what = writes.get() + " write" + (writes.get() == 1 ? "" : "s") + " to "
                                + served.name() + "'s " + s.summary().diskImages().get(i);
                        CountDownLatch giveUp = new CountDownLatch(1);
                        signalled.set(giveUp);
                        InstanceRecord saved = new Saving(spec.commandLine().getErr()).save(what,
                                life::save, giveUp);
                        Dom0Cli.say(spec, "saved " + writes.get() + " write" + (writes.get() == 1 ? "" : "s")
                                + " in " + served.name() + "'s working state " + saved.working().stateId().shortHex());
                    }
                }
                return ExitCodes.OK;
            } finally {
                RunCommand.restore("INT", previousInt);
                RunCommand.restore("TERM", previousTerm);
            }
        }

        private void serve(Endpoint at, Duration idle, NbdExport export, String label, CountDownLatch stop) {
            try (NbdServer server = NbdServer.start(at.host(), at.port(), List.of(export), idle)) {
                PrintWriter out = spec.commandLine().getOut();
                out.println("nbd://" + server.address().getAddress().getHostAddress() + ":" + server.port() + "/"
                        + export.name());
                out.flush();
                if (!Dom0Cli.quiet(spec)) {
                    spec.commandLine().getErr().println("vmtree: serving " + export.name() + " of " + label
                            + (export.readOnly() ? " read-only" : " read-write") + (once ? " for one client" : " until"
                            + " SIGINT or SIGTERM"));
                    spec.commandLine().getErr().flush();
                }
                if (once) {
                    Thread waiter = Thread.ofPlatform().daemon().start(() -> {
                        try {
                            server.awaitFirstDisconnect();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        stop.countDown();
                    });
                    stop.await();
                    waiter.interrupt();
                } else {
                    stop.await();
                }
            } catch (IOException e) {
                throw new CliException(ExitCodes.FAILURE, "cannot listen on " + at.host().getHostAddress() + ":" + at.port()
                        + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
