package dev.vmtree.dom0.rv64;

import dev.vmtree.core.CorruptDataException;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.debug.GdbServer;
import dev.vmtree.core.devices.Platform;
import dev.vmtree.core.input.LiveInput;
import dev.vmtree.core.loader.LoadException;
import dev.vmtree.core.cpu.Engine;
import dev.vmtree.core.cpu.RegisterNames;
import dev.vmtree.core.mem.Bus;
import dev.vmtree.core.replay.ReplayEvent;
import dev.vmtree.core.replay.ReplayLog;
import dev.vmtree.core.state.ExecutionState;
import dev.vmtree.core.state.MachineLayout;
import dev.vmtree.core.state.StateCodec;
import dev.vmtree.core.state.StateIds;
import dev.vmtree.cow.disk.VirtualDisk;
import dev.vmtree.cow.imageio.DiskImages;
import dev.vmtree.cow.store.PersistentImage;
import dev.vmtree.cow.disk.DiskImageException;
import dev.vmtree.dom0.Capability;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.MachineValues;
import dev.vmtree.dom0.StateId;
import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.StoreException;
import dev.vmtree.store.fs.IoErrors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The embedded RV64 core as a {@link MachineDriver}. A stored state is the files
 * {@value #STATE_FILE} (the canonical machine state, docs/format.md), {@value #DEFINITION_FILE}
 * (which backend made it, how it was created) and {@value #LOG_FILE} (the ReplayLog since the
 * state it grew from: its header, with its event list and payloads in the images
 * {@value #LOG_EVENTS} and {@value #LOG_DATA}), and the images {@value #RAM} (4 KiB pages) and
 * {@code disk0..} (64 KiB blocks). RAM and disks are faulted in from the store on first touch, so a restore costs O(1)
 * in their size. Every machine it makes, restores or replays runs under the driver's {@link Engine},
 * which is never stored with it. Immutable and thread-safe; each {@link LiveMachine} it returns is not.
 */
public final class CoreDriver implements MachineDriver {
    public static final String NAME = "rv64-core";
    public static final String STATE_FILE = "machine.state", DEFINITION_FILE = MachineDriver.DEFINITION_FILE;
    public static final String LOG_FILE = MachineDriver.LOG_FILE, LOG_EVENTS = MachineDriver.LOG_EVENTS,
            LOG_DATA = MachineDriver.LOG_DATA;
    public static final String RAM = "ram";
    public static final int RAM_PAGE = 4096;

    public static String diskImage(int index) {
        return "disk" + index;
    }

    private final Engine engine;

    /** A driver whose machines run under {@code engine}. */
    public CoreDriver(Engine engine) {
        this.engine = java.util.Objects.requireNonNull(engine, "engine");
    }

    /** A driver whose machines run under the environment's engine ({@link Engine#fromEnvironment}). */
    public CoreDriver() {
        this(Engine.fromEnvironment());
    }

    /** The engine every machine of this driver runs under. */
    public Engine engine() {
        return engine;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The core's clock is its retired instructions, so it has every capability. */
    public static final java.util.Set<Capability> CAPABILITIES = java.util.Collections.unmodifiableSet(
            java.util.EnumSet.allOf(Capability.class));

    @Override
    public java.util.Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public LiveMachine create(MachineSpec spec) {
        byte[] kernel = MachineValues.readProgram("kernel", spec.kernel(), spec.memoryBytes());
        byte[] firmware = spec.firmware() == null ? null
                : MachineValues.readProgram("firmware", spec.firmware(), spec.memoryBytes());
        byte[] initrd = spec.initrd() == null ? null
                : MachineValues.readRamImage("initrd", spec.initrd(), spec.memoryBytes());
        PersistentImage ram = PersistentImage.create(spec.memoryBytes(), RAM_PAGE);
        List<PersistentImage> diskImages = new ArrayList<>();
        List<Platform.Disk> disks = new ArrayList<>();
        if (spec.diskImage() != null) {
            VirtualDisk imported;
            try {
                imported = DiskImages.importImage(spec.diskImage());
            } catch (DiskImageException e) {
                throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot import disk image "
                        + spec.diskImage() + ": " + e.getMessage(), e);
            } catch (IOException e) {
                throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot read disk image "
                        + spec.diskImage() + ": " + IoErrors.reason(e), e);
            } catch (RuntimeException e) {
                // a hostile image may trip a check deep in a reader; it is the file's fault either way
                throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot import disk image "
                        + spec.diskImage() + ": " + e.getMessage(), e);
            }
            MachineValues.checkDiskImageSize("disk image", spec.diskImage(), imported.size());
            PersistentImage p = PersistentImage.adopt(imported.image());
            diskImages.add(p);
            disks.add(new Platform.Disk(new VirtualDisk(p.image(), imported.size()), false, "vmtree-disk0"));
        } else if (spec.diskBytes() != 0) {
            MachineValues.diskSize("disk size", spec.diskBytes());
            long blocks = (spec.diskBytes() + VirtualDisk.BLOCK_SIZE - 1) / VirtualDisk.BLOCK_SIZE;
            PersistentImage p = PersistentImage.create(blocks * VirtualDisk.BLOCK_SIZE, VirtualDisk.BLOCK_SIZE);
            diskImages.add(p);
            disks.add(new Platform.Disk(new VirtualDisk(p.image(), spec.diskBytes()), false, "vmtree-disk0"));
        }
        boolean machineMode = spec.boot() == MachineDriver.Boot.MACHINE_ELF || firmware != null;
        MachineConfig config;
        try {
            config = new MachineConfig(spec.memoryBytes(), spec.harts(), machineMode, spec.bootargs(), disks, false, true);
            if (config.type().linuxDevices()) {
                config = config.withClockBase(spec.clockBase());
            }
        } catch (IllegalArgumentException e) {
            throw ToolstackException.badInput(e.getMessage());
        }
        SwitchableConsole console = new SwitchableConsole();
        Machine m;
        try {
            m = dev.vmtree.core.loader.Boot.boot(config, ram.image(), console, new dev.vmtree.core.loader.Boot.Images(kernel, spec.kernel().toString(), firmware,
                    spec.firmware() == null ? null : spec.firmware().toString(), initrd,
                    spec.initrd() == null ? null : spec.initrd().toString()));
        } catch (LoadException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage(), e);
        }
        m.setEngine(engine);
        m.initializeGenerationId(spec.generationId());
        String definition = "vmtree-machine 1\nbackend " + NAME + "\nkernel " + spec.kernel().getFileName() + "\n";
        return new CoreMachine(m, console, ram, diskImages, ReplayLog.empty(0), definition);
    }

    @Override
    public LiveMachine restore(Repository repo, StoredState state) {
        ExecutionState es = decode(state);
        MachineLayout layout = es.layout();
        PageTreeRoot ramRoot = image(state, RAM);
        if (ramRoot.size() != layout.memoryBytes() || ramRoot.pageSize() != RAM_PAGE) {
            throw corrupt("the RAM image does not match the machine state (" + ramRoot.size() + " bytes)");
        }
        try {
            PersistentImage ram = PersistentImage.open(repo, ramRoot);
            List<PersistentImage> diskImages = new ArrayList<>();
            List<VirtualDisk> disks = new ArrayList<>();
            for (int i = 0; i < layout.disks().size(); i++) {
                PageTreeRoot r = image(state, diskImage(i));
                PersistentImage p = PersistentImage.openDisk(repo, r);
                diskImages.add(p);
                disks.add(new VirtualDisk(p.image(), layout.disks().get(i).size()));
            }
            ReplayLog replay = state.files().containsKey(LOG_FILE) ? replayLog(repo, state)
                    : ReplayLog.empty(es.instructions());
            byte[] def = state.files().get(DEFINITION_FILE);
            String definition = def == null ? "vmtree-machine 1\nbackend " + NAME + "\n"
                    : new String(def, StandardCharsets.UTF_8);
            SwitchableConsole console = new SwitchableConsole();
            Machine m;
            try {
                m = Machine.restore(es, ram.image(), disks, console, new LiveInput(console));
            } catch (IllegalArgumentException e) {
                // a decoded state the devices refuse (a FIFO longer than theirs, ...) is damaged data too
                throw corrupt(e.getMessage());
            }
            m.setEngine(engine);
            return new CoreMachine(m, console, ram, diskImages, replay, definition);
        } catch (CorruptDataException e) {
            throw corrupt(e.getMessage());
        } catch (StoreException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage(), e);
        }
    }

    @Override
    public Replay replay(Repository repo, StoredState start, StoredState logged) {
        ReplayLog replay;
        try {
            replay = replayLog(repo, logged);
        } catch (CorruptDataException e) {
            throw corrupt(e.getMessage());
        } catch (StoreException e) {
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage() + " (run `vmtree fsck`)", e);
        }
        CoreMachine m = (CoreMachine) restore(repo, MachineDriver.withoutLog(start));
        try {
            m.startReplay(replay);
        } catch (CorruptDataException e) {
            m.close();
            throw corrupt("replay log: " + e.getMessage());
        }
        return m;
    }

    /**
     * Restores {@code from} and re-runs {@code lost}'s log since it, with output dropped (it was
     * shown), to where {@code lost} was last whole. Console input {@code lost} took after that point
     * is not given again: the guest never saw it there.
     */
    @Override
    public LiveMachine recover(Repository repo, StoredState from, LiveMachine lost) {
        CoreMachine dead = (CoreMachine) lost;
        long target = dead.wholeAt();
        if (target < 0) {
            throw new IllegalStateException("the machine did not stop inside an instruction: nothing to recover");
        }
        CoreMachine m = (CoreMachine) restore(repo, from);
        try {
            long start = m.instructions();
            if (start > target) {
                throw corrupt("the state to recover from is at instruction " + start + ", past " + target);
            }
            List<ReplayEvent> since = new ArrayList<>();
            for (ReplayEvent e : dead.eventsFrom(m.logSize())) {
                // input delivered at the target was taken inside the slice that failed; edits there came before it
                if (e instanceof ReplayEvent.Input ? e.at() < target : e.at() <= target) {
                    since.add(e);
                }
            }
            m.startReplay(new ReplayLog(start, since));
            m.replayTo(target, Replay.NO_PC, Console.DISCARD);
            if (m.instructions() != target || m.divergence() != null) {
                throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "re-running the machine from instruction "
                        + start + " reached " + m.instructions() + ", not " + target
                        + (m.divergence() == null ? "" : " (" + m.divergence() + ")"));
            }
            m.endReplay();
            return m;
        } catch (dev.vmtree.cow.PageFaultException e) {
            m.close();
            throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "cannot re-run the machine to instruction "
                    + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    @Override
    public void debug(Repository repo, LiveMachine m, StoredState logged, java.net.InetAddress host, int port,
                      long checkpointInterval, Console console,
                      java.util.function.Consumer<java.net.InetSocketAddress> ready,
                      java.util.function.Consumer<String> log) {
        CoreMachine cm = (CoreMachine) m;
        dev.vmtree.core.input.ExternalInput input = null;
        if (logged != null) {
            try {
                input = cm.inputFrom(replayLog(repo, logged));
            } catch (CorruptDataException e) {
                throw corrupt(e.getMessage());
            } catch (StoreException e) {
                throw new ToolstackException(ToolstackException.Kind.CANNOT_RUN, e.getMessage() + " (run `vmtree fsck`)", e);
            }
        }
        SwitchableConsole c = cm.console();
        c.attach(console);
        if (input == null) {
            input = new LiveInput(c);
        }
        GdbServer server;
        try {
            server = GdbServer.start(host, port, cm.machine(), c, input,
                    new GdbServer.Options(checkpointInterval, log));
        } catch (java.io.IOException e) {
            throw ToolstackException.failed("cannot listen on " + host.getHostAddress() + ":" + port + ": " + e.getMessage());
        } catch (IllegalStateException e) {
            throw ToolstackException.failed("cannot debug this machine: " + e.getMessage());
        }
        try (server) {
            ready.accept(server.address());
            server.awaitEnd();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IllegalStateException e) {
            throw ToolstackException.failed(e.getMessage());
        } finally {
            c.flush();
        }
    }

    @Override
    public StateId stateId(StoredState state) {
        ExecutionState es = decode(state);
        List<PageTreeRoot> roots = new ArrayList<>();
        roots.add(image(state, RAM));
        for (int i = 0; i < es.layout().disks().size(); i++) {
            roots.add(image(state, diskImage(i)));
        }
        return new StateId(StateIds.of(state.files().get(STATE_FILE), roots));
    }

    @Override
    public StateSummary summarize(StoredState state) {
        ExecutionState es = decode(state);
        List<String> disks = new ArrayList<>();
        List<Long> diskBytes = new ArrayList<>();
        for (int i = 0; i < es.layout().disks().size(); i++) {
            disks.add(diskImage(i));
            diskBytes.add(es.layout().disks().get(i).size());
        }
        List<Map<String, Long>> registers = new ArrayList<>();
        for (var h : es.harts()) {
            registers.add(RegisterNames.all(h));
        }
        String backend = NAME, kernel = null;
        byte[] def = state.files().get(DEFINITION_FILE);
        if (def != null) {
            for (String line : new String(def, StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("backend ")) {
                    backend = line.substring(8);
                } else if (line.startsWith("kernel ")) {
                    kernel = line.substring(7);
                }
            }
        }
        Map<String, Long> events = new LinkedHashMap<>();
        byte[] log = state.files().get(LOG_FILE);
        if (log != null) {
            ReplayLog.Header header;
            try {
                header = ReplayLog.header(log);       // version 3 counts its events in the header: no page is read
            } catch (CorruptDataException e) {
                throw corrupt(e.getMessage());
            }
            for (int code = 1; code < header.counts().length; code++) {
                if (header.counts()[code] > 0) {
                    events.merge(EVENT_KINDS.get(code - 1), header.counts()[code], Long::sum);
                }
            }
        }
        String halted = es.halted() == null ? null : StateComparison.halt(es);
        return new StateSummary(backend, kernel, es.layout().memoryBytes(), RAM, Bus.RAM_BASE, disks, diskBytes, es.instructions(),
                halted, registers, events, es.layout().type().id(), es.layout().type().isa(),
                es.layout().type().linuxDevices() ? java.time.Instant.EPOCH.plusNanos(es.layout().clockBase()).toString()
                        : null,
                es.devices().generationId() == null ? null
                        : java.util.HexFormat.of().formatHex(es.devices().generationId().id()));
    }

    @Override
    public List<String> differingDevices(StoredState a, StoredState b) {
        return StateComparison.differences(decode(a), decode(b));
    }

    @Override
    public String registerKey(String name) {
        var x = RegisterNames.xIndex(name);
        if (x.isPresent()) {
            return "x" + x.getAsInt();
        }
        String n = name.toLowerCase(java.util.Locale.ROOT);
        if (n.equals("pc") || n.equals("priv") || RegisterNames.CSRS.contains(n)) {
            return n;
        }
        throw ToolstackException.badInput("unknown register '" + name + "' (pc, x0-x31 or ABI names, priv, "
                + String.join(", ", RegisterNames.CSRS) + ")");
    }

    @Override
    public String registerAlias(String key) {
        if (key.matches("x([0-9]|[12][0-9]|3[01])")) {
            return RegisterNames.ABI.get(Integer.parseInt(key.substring(1)));
        }
        return null;
    }

    /** What `show` calls the events of each code (docs/format.md "ReplayLog"): disk zeroes count as disk writes. */
    private static final List<String> EVENT_KINDS = List.of("console input", "entropy input", "memory write",
            "register write", "disk write", "disk write", "generation change", "frame received");

    /**
     * The ReplayLog a stored state carries (it must have the file {@value #LOG_FILE}): a version 1
     * or 2 file on its own, or a version 3 header with its event list and payloads read from the
     * images {@value #LOG_EVENTS} and {@value #LOG_DATA}. CorruptDataException when they are
     * malformed or do not match; StoreException when a page cannot be read.
     */
    public static ReplayLog replayLog(Repository repo, StoredState state) {
        byte[] file = state.files().get(LOG_FILE);
        if (file == null) {
            throw new CorruptDataException("replay log: the state has no " + LOG_FILE + " file");
        }
        ReplayLog.Header h = ReplayLog.header(file);
        if (h.version() < 3) {
            return ReplayLog.decode(file);
        }
        return ReplayLog.decode(file, pages(repo, state, LOG_EVENTS, h.eventBytes()),
                pages(repo, state, LOG_DATA, h.dataBytes()));
    }

    private static ReplayLog.Pages pages(Repository repo, StoredState state, String image, long bytes) {
        PageTreeRoot r = state.images().get(image);
        if (bytes == 0 && r == null) {
            return null;
        }
        if (r == null) {
            throw new CorruptDataException("replay log: it names " + bytes + " bytes in image " + image
                    + " but the state has no such image");
        }
        if (r.pageSize() != ReplayLog.PAGE || r.size() != Math.ceilDiv(bytes, ReplayLog.PAGE) * ReplayLog.PAGE) {
            throw new CorruptDataException("replay log: image " + image + " (" + r.size() + " bytes in pages of "
                    + r.pageSize() + ") cannot hold the " + bytes + " bytes its header names");
        }
        dev.vmtree.store.PageTree tree = new dev.vmtree.store.PageTree(repo.chunks(), r);
        return tree::page;
    }

    /** The machine state file of a stored state, decoded; a clear error when missing or corrupt. */
    public static ExecutionState decode(StoredState state) {
        byte[] b = state.files().get(STATE_FILE);
        if (b == null) {
            throw corrupt("the state has no " + STATE_FILE + " file");
        }
        try {
            return StateCodec.decode(b);
        } catch (CorruptDataException e) {
            throw corrupt(e.getMessage());
        }
    }

    private static PageTreeRoot image(StoredState state, String name) {
        PageTreeRoot r = state.images().get(name);
        if (r == null) {
            throw corrupt("the state has no '" + name + "' image");
        }
        return r;
    }

    private static ToolstackException corrupt(String what) {
        return new ToolstackException(ToolstackException.Kind.CANNOT_RUN, "corrupt machine state: " + what
                + " (run `vmtree fsck`)");
    }
}
