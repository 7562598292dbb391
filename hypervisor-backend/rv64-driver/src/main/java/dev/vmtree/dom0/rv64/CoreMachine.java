package dev.vmtree.dom0.rv64;

import dev.vmtree.core.Machine;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.cpu.HartState;
import dev.vmtree.core.cpu.RegisterNames;
import dev.vmtree.core.replay.ReplayEvent;
import dev.vmtree.core.replay.ReplayLog;
import dev.vmtree.core.state.StateCodec;
import dev.vmtree.core.state.StateIds;
import dev.vmtree.cow.disk.VirtualDisk;
import dev.vmtree.cow.store.PersistentImage;
import dev.vmtree.dom0.HostMemory;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.StateId;
import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.dom0.WorkingState;
import dev.vmtree.store.ChunkId;
import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.WriteTransaction;
import java.nio.charset.StandardCharsets;
import dev.vmtree.core.input.ReplayInput;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One machine of the embedded core in this process, with the images that persist it and the
 * ReplayLog it is growing. Runs in slices of {@link #SLICE} instructions; a stop request (detach,
 * signal, timeout) also interrupts the core inside a slice, so it takes effect within one check
 * point (4,096 instructions and a bounded amount of device work). Driven by one thread;
 * {@link #requestStop} and a {@link #capture}'s write from any.
 */
final class CoreMachine implements MachineDriver.Replay {
    /** Instructions per slice: a few milliseconds of guest time between looks at stop requests. */
    static final long SLICE = CoreRun.SLICE;

    private final Machine machine;
    private final SwitchableConsole console;
    private final PersistentImage ram;
    private final List<PersistentImage> disks;
    private final long logStart;
    private final List<ReplayEvent> log;
    private final String definition;
    private final CoreRun runner;
    /** While replaying a log: its input, and its edits not applied yet (in log order). */
    private ReplayInput replayInput;
    private final ArrayDeque<ReplayEvent> edits = new ArrayDeque<>();
    private String divergence;

    CoreMachine(Machine machine, SwitchableConsole console, PersistentImage ram, List<PersistentImage> disks,
                ReplayLog replay, String definition) {
        this.machine = machine;
        this.console = console;
        this.ram = ram;
        this.disks = List.copyOf(disks);
        this.logStart = replay.start();
        this.log = new ArrayList<>(replay.events());
        this.definition = definition;
        this.runner = new CoreRun(machine, console);
        machine.setInputListener(e -> log(new ReplayEvent.Input(e)));
    }

    /** The console the machine writes to and reads from. */
    SwitchableConsole console() {
        return console;
    }

    /** The core machine itself (for the debugger and disk exports). */
    Machine machine() {
        return machine;
    }

    @Override
    public long instructions() {
        return machine.instructions();
    }

    @Override
    public int harts() {
        return machine.harts().size();
    }

    @Override
    public MachineDriver.RunOutcome run(long maxInstructions, java.time.Duration idle, MachineDriver.Console out) {
        checkWhole();
        HostMemory.checkGuestRam(machine.config().memoryBytes());     // refuse now, not by OutOfMemoryError later
        long start = machine.instructions();
        MachineDriver.RunOutcome o = runner.run(maxInstructions, idle, out);
        if (o.cause() == MachineDriver.StopCause.UNAVAILABLE) {
            wholeAt = start + o.instructions();
        }
        return o;
    }

    /**
     * Where the machine was last whole after a run that stopped {@link MachineDriver.StopCause#UNAVAILABLE}
     * (inside an instruction, a page missing), or -1 while it is whole.
     */
    private long wholeAt = -1;

    long wholeAt() {
        return wholeAt;
    }

    /** A machine stopped inside an instruction is not to be run or captured: {@link CoreDriver#recover} it. */
    private void checkWhole() {
        if (wholeAt >= 0) {
            throw new IllegalStateException("the machine stopped inside an instruction (a page could not be faulted in);"
                    + " it must be recovered from its last saved state, not run or saved");
        }
    }

    /** Events in the log from position {@code from} on (those a state with {@code from} events has not seen). */
    synchronized List<ReplayEvent> eventsFrom(int from) {
        return List.copyOf(log.subList(Math.min(from, log.size()), log.size()));
    }

    /** Events in the log. */
    synchronized int logSize() {
        return log.size();
    }

    /** Ends a {@link #startReplay}: outside input comes from the console again, as for a restored machine. */
    void endReplay() {
        replayInput = null;
        edits.clear();
        machine.setInput(new dev.vmtree.core.input.LiveInput(console));
    }

    /**
     * The outside input of {@code replay} as a source for a debugging session, after applying its
     * edits stamped at the machine's present count (a new instance's generation ID). Edits later in
     * the log would need the session to stop the clock there; they are refused.
     */
    dev.vmtree.core.input.ExternalInput inputFrom(ReplayLog replay) {
        checkStart(replay);
        long now = machine.instructions();
        for (ReplayEvent e : replay.events()) {
            if (e instanceof ReplayEvent.Input) {
                continue;
            }
            if (e.at() != now) {
                throw ToolstackException.badInput("the log edits the machine from outside at instruction " + e.at()
                        + " (a mem write, reg or disk write); a debugging session replays only input past its start:"
                        + " use `vmtree replay REF --until N --to-instance NAME` and debug that instance");
            }
            applyEdit(e);
        }
        return new ReplayInput(replay.inputs());
    }

    private void checkStart(ReplayLog replay) {
        if (replay.start() != machine.instructions()) {
            throw new dev.vmtree.core.CorruptDataException("the replay log starts at instruction " + replay.start()
                    + " but the state it should grow from is at " + machine.instructions());
        }
    }

    /** Switches to replaying {@code replay}: input only from it, its edits applied by {@link #replayTo}. */
    void startReplay(ReplayLog replay) {
        checkStart(replay);
        replayInput = new ReplayInput(replay.inputs());
        machine.setInput(replayInput);
        for (ReplayEvent e : replay.events()) {
            if (!(e instanceof ReplayEvent.Input)) {
                edits.add(e);
            }
        }
    }

    @Override
    public MachineDriver.RunOutcome replayTo(long target, long pc, MachineDriver.Console out) {
        if (replayInput == null) {
            throw new IllegalStateException("not replaying a log");
        }
        HostMemory.checkGuestRam(machine.config().memoryBytes());
        console.attach(out);
        runner.clearRequest();
        machine.clearInterrupt();
        long start = machine.instructions();
        // a pc to stop at is a breakpoint in the core's decoder: the replay runs at full speed
        machine.memory().setBreakpoints(pc == NO_PC ? null : new long[] {pc});
        try {
            boolean first = true;
            while (true) {
                long now = machine.instructions();
                applyEditsDue(now);
                if (now >= target) {
                    return outcome(MachineDriver.StopCause.BUDGET, start, 0);
                }
                MachineDriver.StopCause requested = runner.requested();
                if (requested != null) {
                    return outcome(requested, start, 0);
                }
                long until = edits.isEmpty() ? target : Math.min(target, edits.peek().at());
                // where the replay starts does not count as reaching the pc: its instruction runs
                machine.memory().skipBreakpointOnce(first ? pc : -1);
                RunResult r = machine.run(first ? 1 : Math.min(SLICE, until - now));
                machine.memory().skipBreakpointOnce(-1);
                first = false;
                if (r.reason() == StopReason.BREAKPOINT) {
                    return outcome(MachineDriver.StopCause.BUDGET, start, 0);
                }
                MachineDriver.StopCause why = causeOf(r);
                if (why != null) {
                    return outcome(why, start, why == MachineDriver.StopCause.GUEST_FAULT ? (int) r.detail() : 0);
                }
            }
        } finally {
            machine.memory().setBreakpoints(null);
            console.flush();
        }
    }

    private void applyEditsDue(long now) {
        while (!edits.isEmpty() && edits.peek().at() <= now) {
            ReplayEvent e = edits.poll();
            if (e.at() < now && divergence == null) {
                divergence = "the log edits the machine at instruction " + e.at() + " but its clock passed from "
                        + "below to " + now + " without stopping there";
            }
            applyEdit(e);
        }
    }

    /** Applies one edit from a log now, logging it again as the live edit would be. */
    private void applyEdit(ReplayEvent e) {
        switch (e) {
            case ReplayEvent.MemoryWrite w -> writeMemory(w.address(), w.data());
            case ReplayEvent.RegisterWrite w -> setRegister(w.hart(), w.register(), w.value());
            case ReplayEvent.DiskWrite w -> writeDisk(w.disk(), w.offset(), w.data());
            case ReplayEvent.DiskZeroes z -> {
                disk(z.disk()).writeZeroes(z.offset(), z.length());
                log(z);
            }
            case ReplayEvent.GenerationChange g -> changeGeneration(g.id());
            case ReplayEvent.Input i -> throw new AssertionError("input is not an edit");
        }
    }

    @Override
    public String divergence() {
        if (divergence != null) {
            return divergence;
        }
        return replayInput == null ? null : replayInput.divergence();
    }

    /** Writes into disk {@code index} from outside the guest (a replayed log); logged. */
    private void writeDisk(int index, long offset, byte[] data) {
        disk(index).write(offset, data, 0, data.length);
        log(new ReplayEvent.DiskWrite(machine.instructions(), index, offset, data));
    }

    @Override
    public int diskCount() {
        return machine.config().disks().size();
    }

    @Override
    public VirtualDisk disk(int index) {
        List<VirtualDisk> d = disks();
        if (index < 0 || index >= d.size()) {
            throw ToolstackException.badInput("no disk " + index + " (the machine has " + d.size() + ")");
        }
        return d.get(index);
    }

    /**
     * Logs bytes something outside the guest has just written into disk {@code index} (read back
     * from the disk: zeroed ranges become one {@link ReplayEvent.DiskZeroes}, data goes in events of
     * at most {@link #DISK_EVENT_BYTES}).
     */
    @Override
    public void recordDiskWrite(int index, long offset, long length) {
        VirtualDisk d = disk(index);
        long at = machine.instructions();
        byte[] buf = new byte[(int) Math.min(length, DISK_EVENT_BYTES)];
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(buf.length, length - done);
            d.read(offset + done, buf, 0, n);
            boolean zero = true;
            for (int i = 0; i < n && zero; i++) {
                zero = buf[i] == 0;
            }
            if (zero && n == buf.length && length - done > n) {
                // a zeroed stretch: find where it ends and log it as one event
                long end = done + n;
                while (end < length) {
                    int m = (int) Math.min(buf.length, length - end);
                    d.read(offset + end, buf, 0, m);
                    boolean allZero = true;
                    for (int i = 0; i < m && allZero; i++) {
                        allZero = buf[i] == 0;
                    }
                    if (!allZero) {
                        break;
                    }
                    end += m;
                }
                log(new ReplayEvent.DiskZeroes(at, index, offset + done, end - done));
                done = end;
            } else {
                log(zero ? new ReplayEvent.DiskZeroes(at, index, offset + done, n)
                        : new ReplayEvent.DiskWrite(at, index, offset + done, java.util.Arrays.copyOf(buf, n)));
                done += n;
            }
        }
    }

    /** Largest data a disk write event carries; longer writes are split. */
    static final int DISK_EVENT_BYTES = 1 << 20;

    /** Appends to the log; NBD connection threads call it too (one at a time, under the export's lock). */
    private synchronized void log(ReplayEvent e) {
        log.add(e);
    }

    @Override
    public int currentHart() {
        return machine.currentHart();
    }

    private static MachineDriver.StopCause causeOf(RunResult r) {
        return CoreRun.causeOf(r);
    }

    private MachineDriver.RunOutcome outcome(MachineDriver.StopCause cause, long start, int code) {
        return new MachineDriver.RunOutcome(cause, machine.instructions() - start, code);
    }

    @Override
    public void requestStop(MachineDriver.StopCause cause) {
        runner.requestStop(cause);
    }

    /**
     * Freezes RAM and every disk, encodes the execution state and copies the ReplayLog's event list
     * as they are now; the page data, the log's encoding and all store work wait for
     * {@link CoreCapture#write}, which may run on another thread while this one runs the machine on.
     */
    @Override
    public MachineDriver.Capture capture(long instructionsSinceBase) {
        checkWhole();
        List<PersistentImage.Staging> images = new ArrayList<>(1 + disks.size());
        images.add(ram.capture());
        for (PersistentImage d : disks) {
            images.add(d.capture());
        }
        byte[] state = StateCodec.encode(machine.executionState());
        return new CoreCapture(++captures, machine.instructions(), instructionsSinceBase, images, state, replayLog());
    }

    /** Captures taken so far (machine thread only); a capture's number orders it among the others. */
    private long captures;

    /**
     * The newest capture written and not yet confirmed, with its stored images: set by
     * {@link CoreCapture#write} on whatever thread wrote it, taken by {@link #persisted} on the
     * machine's.
     */
    private final java.util.concurrent.atomic.AtomicReference<Written> pending = new java.util.concurrent.atomic.AtomicReference<>();

    private record Written(long capture, WorkingState state, List<PersistentImage.Persisted> images) {}

    /** One {@link #capture}: immutable, so its {@link #write} is safe on any thread. */
    private final class CoreCapture implements MachineDriver.Capture {
        private final long number;
        private final long instructions;
        private final long instructionsSinceBase;
        private final List<PersistentImage.Staging> images;
        private final byte[] state;
        private final ReplayLog log;

        CoreCapture(long number, long instructions, long instructionsSinceBase, List<PersistentImage.Staging> images,
                    byte[] state, ReplayLog log) {
            this.number = number;
            this.instructions = instructions;
            this.instructionsSinceBase = instructionsSinceBase;
            this.images = List.copyOf(images);
            this.state = state;
            this.log = log;
        }

        @Override
        public long instructions() {
            return instructions;
        }

        @Override
        public WorkingState write(WriteTransaction tx) {
            Map<String, PageTreeRoot> named = new LinkedHashMap<>();
            List<PageTreeRoot> roots = new ArrayList<>();
            List<PersistentImage.Persisted> stored = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                PersistentImage.Persisted p = images.get(i).write(tx);
                stored.add(p);
                roots.add(p.root());
                named.put(i == 0 ? CoreDriver.RAM : CoreDriver.diskImage(i - 1), p.root());
            }
            StateId id = new StateId(StateIds.of(state, roots));
            Map<String, ChunkId> files = new LinkedHashMap<>();
            files.put(CoreDriver.STATE_FILE, tx.chunks().put(state));
            files.put(CoreDriver.DEFINITION_FILE, tx.chunks().put(definition.getBytes(StandardCharsets.UTF_8)));
            ReplayLog.Encoded encoded = log.encode();
            files.put(CoreDriver.LOG_FILE, tx.chunks().put(encoded.header()));
            putStream(tx, named, CoreDriver.LOG_EVENTS, encoded.events());
            putStream(tx, named, CoreDriver.LOG_DATA, encoded.data());
            WorkingState w = new WorkingState(id, named, files, instructionsSinceBase);
            Written mine = new Written(number, w, List.copyOf(stored));
            pending.accumulateAndGet(mine, (old, next) -> old == null || next.capture() > old.capture() ? next : old);
            return w;
        }
    }

    @Override
    public void persisted(WorkingState saved) {
        Written w = pending.get();
        if (w == null || w.state() != saved) {
            return;             // not the newest state written: nothing to build on
        }
        ram.confirm(w.images().getFirst());
        for (int i = 0; i < disks.size(); i++) {
            disks.get(i).confirm(w.images().get(i + 1));
        }
        pending.compareAndSet(w, null);
    }

    /** A ReplayLog stream as an image of the state, when not empty (its pages dedup like any other). */
    private static void putStream(WriteTransaction tx, Map<String, PageTreeRoot> images, String name,
                                  ReplayLog.Stream s) {
        if (s.length() > 0) {
            images.put(name, tx.buildTree(s.imageSize(), ReplayLog.PAGE, i -> s.pages().get(Math.toIntExact(i))));
        }
    }

    /** The log since the state this machine's history started from. */
    synchronized ReplayLog replayLog() {
        return new ReplayLog(logStart, log);
    }

    @Override
    public long dirtyPages() {
        long n = ram.image().dirtyPageCount();
        for (PersistentImage d : disks) {
            n += d.image().dirtyPageCount();
        }
        return n;
    }

    /** The machine's disks, in slot order. */
    List<VirtualDisk> disks() {
        List<VirtualDisk> l = new ArrayList<>();
        for (var d : machine.config().disks()) {
            l.add((VirtualDisk) d.device());
        }
        return l;
    }

    @Override
    public byte[] readMemory(long address, int length) {
        if (length < 0 || length > 64 << 20) {
            throw ToolstackException.badInput("length must be between 0 and 64 MiB: " + length);
        }
        byte[] b = new byte[length];
        if (!machine.memory().readRam(address, b, 0, length)) {
            throw outsideRam(address, length);
        }
        return b;
    }

    @Override
    public void writeMemory(long address, byte[] data) {
        if (!machine.bus().isRam(address, data.length) && data.length > 0) {
            throw outsideRam(address, data.length);
        }
        machine.memory().writeRam(address, data, 0, data.length);
        machine.memory().invalidateCode();
        log(new ReplayEvent.MemoryWrite(machine.instructions(), address, data));
    }

    @Override
    public boolean changeGeneration(byte[] id) {
        if (halted()) {
            return false;       // a powered-off machine sees nothing: it stays exactly as it stopped
        }
        if (!machine.setGenerationId(id)) {
            return false;
        }
        log(new ReplayEvent.GenerationChange(machine.instructions(), id));
        return true;
    }

    @Override
    public byte[] generationId() {
        return machine.generationId();
    }

    private ToolstackException outsideRam(long address, int length) {
        long base = dev.vmtree.core.mem.Bus.RAM_BASE;
        return ToolstackException.badInput(String.format("0x%x+%d is not in RAM (0x%x-0x%x)", address, length, base,
                base + machine.config().memoryBytes() - 1));
    }

    @Override
    public Map<String, Long> registers(int hart) {
        return RegisterNames.all(hartState(hart));
    }

    @Override
    public void setRegister(int hart, String name, long value) {
        HartState changed;
        try {
            changed = RegisterNames.set(hartState(hart), name, value);
        } catch (IllegalArgumentException e) {
            throw ToolstackException.badInput(e.getMessage());
        }
        machine.hart(hart).restore(changed);
        log(new ReplayEvent.RegisterWrite(machine.instructions(), hart, name, value));
    }

    private HartState hartState(int hart) {
        if (hart < 0 || hart >= harts()) {
            throw ToolstackException.badInput("no hart " + hart + " (the machine has " + harts() + ")");
        }
        return machine.hart(hart).save();
    }

    @Override
    public void close() {
        console.flush();
    }

    /** Whether the guest has halted (powered off) for good. */
    boolean halted() {
        return machine.stopped() == StopReason.SHUTDOWN || machine.stopped() == StopReason.REBOOT
                || machine.stopped() == StopReason.GUEST_FAILURE;
    }
}
