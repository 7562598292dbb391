package dev.vmtree.core;

import dev.vmtree.core.cpu.Engine;
import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.cpu.HartHost;
import dev.vmtree.core.cpu.MemorySystem;
import dev.vmtree.core.cpu.Privileged;
import dev.vmtree.core.cpu.Timebase;
import dev.vmtree.core.devices.Clint;
import dev.vmtree.core.devices.FrameSink;
import dev.vmtree.core.devices.GuestMemoryAccess;
import dev.vmtree.core.devices.Htif;
import dev.vmtree.core.devices.Platform;
import dev.vmtree.core.devices.PlatformHost;
import dev.vmtree.core.devices.virtio.VirtioNet;
import dev.vmtree.core.input.ExternalInput;
import dev.vmtree.core.input.InputEvent;
import dev.vmtree.core.input.LiveInput;
import dev.vmtree.core.state.ExecutionState;
import dev.vmtree.core.state.MachineLayout;
import dev.vmtree.core.state.MachineState;
import dev.vmtree.core.mem.Bus;
import dev.vmtree.core.sbi.Sbi;
import dev.vmtree.cow.InMemoryPagedImage;
import dev.vmtree.cow.PagedImage;
import dev.vmtree.cow.disk.BlockDevice;
import dev.vmtree.cow.disk.DiskSnapshot;
import dev.vmtree.cow.disk.VirtualDisk;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A whole machine: harts, the physical bus with RAM and devices, the virtual clock and (in
 * hypervisor mode) the SBI. It runs in bounded slices with {@link #run(long)}.
 *
 * <p>Determinism: the clock is the global instruction count. Interrupt checks happen at every
 * multiple of {@link #CHECK_INTERVAL}, hart switches at every multiple of {@link #QUANTUM}; both are
 * global counts, so a run split anywhere and resumed behaves exactly like one run. When no hart can
 * run (all in WFI or stopped), the clock jumps to the next armed timer deadline.
 *
 * <p>Devices: CLINT at {@link #CLINT_BASE} and the standard {@link Platform} (syscon, PLIC, UART,
 * virtio disks from the configuration). PLIC outputs drive the harts' MEIP/SEIP, the UART writes
 * to the {@link Console}, syscon ends the run like SBI SRST. Each check point first lets paced
 * virtio queues serve what their notifications held back (see VirtioBlock), so device work per
 * check point is bounded; a machine whose harts all wait is not idle while a device holds work.
 *
 * <p>Input: bytes from outside enter only through the machine's {@link ExternalInput}, console bytes
 * at check points and entropy when the guest's request reaches the device, both at global counts;
 * every delivery is reported to the input listener as a stamped {@link InputEvent} (the ReplayLog).
 *
 * <p>State: {@link #capture()} freezes the whole machine (RAM and disks copy-on-write) between runs;
 * {@link #restore} builds a machine that continues from it exactly.
 *
 * <p>Threading: a machine is driven by one thread at a time; nothing in it is thread-safe.
 */
public final class Machine {
    /** Instructions between two interrupt check points. */
    public static final int CHECK_INTERVAL = 4096;
    /** Instructions a hart runs before the next runnable hart gets its turn (a multiple of CHECK_INTERVAL). */
    public static final int QUANTUM = 4 * CHECK_INTERVAL;
    /** Frames a check point takes for the network card at most (bounded host work per check point). */
    public static final int FRAMES_PER_CHECK_POINT = 64;
    /**
     * Instructions between two looks at the host console while every hart is busy (about a
     * millisecond of host time): asking the host for input costs a system call, too much for every
     * check point. A check point at which some hart waits for an interrupt always looks.
     */
    static final int INPUT_POLL_INTERVAL = (int) LiveInput.POLL_INTERVAL;
    /** Console bytes the machine holds for its devices, taken from outside and not accepted yet. */
    static final int INPUT_BUFFER = 64;
    public static final long CLINT_BASE = 0x0200_0000L;

    private final MachineConfig config;
    private final Bus bus;
    private final MemorySystem memory;
    private final Hart[] harts;
    private final Console console;
    private final Sbi sbi;
    private final Platform platform;
    /** Console bytes taken from outside that no device or SBI call has accepted yet (kept, never dropped). */
    private final byte[] input = new byte[INPUT_BUFFER];
    private int inputLength;
    private final byte[] incoming = new byte[INPUT_BUFFER];
    private ExternalInput externalInput;
    private Consumer<InputEvent> inputListener = e -> {};
    private long instructions;
    private long idleInstructions;
    private final byte[] frame = new byte[VirtioNet.MAX_FRAME];
    private volatile FrameSink frameSink = (f, o, l) -> {};
    private int current;
    private StopReason stop;
    private long stopDetail;
    private TrapLoop trapLoop;
    /** Set from any thread by {@link #interrupt}; read once per run-loop step (at most CHECK_INTERVAL instructions). */
    private volatile boolean interrupted;
    private Engine engine;

    /** A machine with fresh zeroed RAM. */
    public Machine(MachineConfig config, Console console) {
        this(config, new InMemoryPagedImage(config.memoryBytes(), Bus.PAGE_SIZE), console);
    }

    /** A machine over an existing RAM image (its size must match the configuration), input live from the console. */
    public Machine(MachineConfig config, PagedImage ram, Console console) {
        this(config, ram, console, null);
    }

    /**
     * A machine over an existing RAM image whose outside input comes from {@code input} (null: live
     * from {@code console} and the host's entropy).
     */
    public Machine(MachineConfig config, PagedImage ram, Console console, ExternalInput input) {
        this.config = Objects.requireNonNull(config, "config");
        this.console = Objects.requireNonNull(console, "console");
        this.externalInput = input != null ? input : new LiveInput(console);
        if (ram.size() != config.memoryBytes()) {
            throw new IllegalArgumentException("RAM image has " + ram.size() + " bytes, configuration says "
                    + config.memoryBytes());
        }
        this.bus = new Bus(ram);
        this.memory = new MemorySystem(bus);
        HartHost host = new Host();
        this.harts = new Hart[config.harts()];
        for (int i = 0; i < harts.length; i++) {
            harts[i] = new Hart(i, memory, host, config.type().floatingPoint());
        }
        bus.map(CLINT_BASE, Clint.SIZE, new Clint(harts, this::now), "clint");
        GuestMemoryAccess dma = new GuestMemoryAccess() {
            @Override
            public boolean read(long pa, byte[] dst, int off, int len) {
                return memory.readRam(pa, dst, off, len);
            }

            @Override
            public boolean write(long pa, byte[] src, int off, int len) {
                return memory.writeRam(pa, src, off, len);
            }
        };
        this.platform = new Platform(harts.length, new Devices(), dma, config.disks(), config.virtioConsole(),
                config.entropy(), config.type().linuxDevices(), config.clockBase(),
                config.nics().isEmpty() ? null : config.nics().getFirst().mac());
        for (Platform.Region r : platform.regions()) {
            bus.map(r.base(), r.size(), r.device(), r.name());
        }
        if (config.machineMode()) {
            sbi = null;
        } else {
            sbi = new Sbi(this);
            for (Hart h : harts) {
                h.enterHypervisorMode();
                h.setStopped(h.id != 0);
            }
        }
        setEngine(Engine.fromEnvironment());
    }

    public MachineConfig config() {
        return config;
    }

    public Bus bus() {
        return bus;
    }

    /** How this machine executes guest code; never part of its state. */
    public Engine engine() {
        return engine;
    }

    /**
     * Chooses how this machine executes guest code from the next run on (between runs only). The
     * state a run ends in does not depend on the engine or on when it was changed.
     */
    public void setEngine(Engine engine) {
        this.engine = Objects.requireNonNull(engine, "engine");
        memory.useEngine(engine);
    }

    public MemorySystem memory() {
        return memory;
    }

    public Console console() {
        return console;
    }

    /** The PLIC, UART, syscon and virtio devices mapped on the bus. */
    public Platform platform() {
        return platform;
    }

    /**
     * The next console input byte for a reader outside the devices (SBI getchar / DBCN read), or -1:
     * bytes the machine already holds first, else one asked from the input at this exact count (the
     * call happens at a deterministic count, so the delivery is stamped and logged like any other).
     */
    public int readInput() {
        if (inputLength > 0) {
            int b = input[0] & 0xFF;
            System.arraycopy(input, 1, input, 0, --inputLength);
            return b;
        }
        long at = now();
        if (externalInput.console(at, true, incoming, 1) != 1) {
            return -1;
        }
        inputListener.accept(new InputEvent(at, InputEvent.Kind.CONSOLE, new byte[] {incoming[0]}));
        return incoming[0] & 0xFF;
    }

    /** Console bytes taken from outside that no device or SBI call has accepted yet. */
    public int heldInputBytes() {
        return inputLength;
    }

    /** Where outside input comes from from now on (a live source, or a ReplayLog being replayed). */
    public void setInput(ExternalInput input) {
        this.externalInput = Objects.requireNonNull(input, "input");
    }

    public ExternalInput input() {
        return externalInput;
    }

    /** Receives every delivery of outside bytes, stamped with its instruction count, in order. */
    public void setInputListener(Consumer<InputEvent> listener) {
        this.inputListener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Where the network card's transmitted frames go from now on (a switch port, a host link; the
     * default drops them). Called on the machine thread during the guest's notify; sent frames are not
     * logged: they follow from execution.
     */
    public void setFrameSink(FrameSink sink) {
        this.frameSink = Objects.requireNonNull(sink, "sink");
    }

    /** The network card, or null when the machine has none. */
    public VirtioNet networkCard() {
        return platform.net();
    }

    // ---- capture and restore -------------------------------------------------------------------

    /**
     * Freezes the whole machine between two runs: every hart and device, the clock, held input, and
     * RAM and disks as frozen copy-on-write views (no page is copied now; the machine runs on and
     * copies a page at its first write). Disks must be {@link VirtualDisk}s or {@link DiskSnapshot}s.
     */
    public MachineState capture() {
        if (harts[current].sliceSteps() != 0) {
            throw new IllegalStateException("capture() is only possible between runs");
        }
        List<DiskSnapshot> disks = new ArrayList<>();
        for (Platform.Disk d : config.disks()) {
            disks.add(switch (d.device()) {
                case VirtualDisk v -> v.snapshot();
                case DiskSnapshot s -> s;
                default -> throw new IllegalStateException("disk " + d.serial() + " (" + d.device().getClass().getSimpleName()
                        + ") cannot be captured");
            });
        }
        return new MachineState(executionState(), bus.ram().freeze(), disks);
    }

    /** Everything but RAM and disk contents; cheap (no image is frozen). */
    public ExecutionState executionState() {
        List<dev.vmtree.core.cpu.HartState> hs = new ArrayList<>();
        for (Hart h : harts) {
            hs.add(h.save());
        }
        StopReason halted = stop == StopReason.SHUTDOWN || stop == StopReason.REBOOT || stop == StopReason.GUEST_FAILURE
                ? stop : null;
        return new ExecutionState(MachineLayout.of(config), instructions, current, halted,
                halted == StopReason.GUEST_FAILURE ? stopDetail : 0, Arrays.copyOf(input, inputLength), hs,
                platform.save());
    }

    /** A machine continuing from {@code state} with RAM and disks thawed copy-on-write, input live from the console. */
    public static Machine restore(MachineState state, Console console) {
        return restore(state, console, null);
    }

    /** A machine continuing from {@code state}, RAM and disks thawed copy-on-write over the frozen views. */
    public static Machine restore(MachineState state, Console console, ExternalInput input) {
        List<BlockDevice> disks = new ArrayList<>();
        for (DiskSnapshot d : state.disks()) {
            disks.add(d.overlay());
        }
        return restore(state.execution(), InMemoryPagedImage.over(state.ram()), disks, console, input);
    }

    /**
     * A machine continuing from {@code state} over images the caller provides (for example faulted
     * in lazily from the store); they must hold the contents captured with the state.
     */
    public static Machine restore(ExecutionState state, PagedImage ram, List<? extends BlockDevice> disks, Console console,
                                  ExternalInput input) {
        Machine m = new Machine(state.layout().toConfig(disks), ram, console, input);
        m.load(state);
        return m;
    }

    private void load(ExecutionState s) {
        for (int i = 0; i < harts.length; i++) {
            harts[i].restore(s.harts().get(i));
        }
        platform.restore(s.devices());
        instructions = s.instructions();
        current = s.currentHart();
        byte[] held = s.pendingInput();
        if (held.length > input.length) {
            throw new IllegalArgumentException("state holds " + held.length + " input bytes, at most " + input.length);
        }
        System.arraycopy(held, 0, input, 0, held.length);
        inputLength = held.length;
        stop = s.halted();
        stopDetail = s.haltDetail();
        memory.invalidateCode();
    }

    public List<Hart> harts() {
        return List.of(harts);
    }

    public Hart hart(int id) {
        return harts[id];
    }

    /** The hart that executes the next instruction (harts take turns in fixed quanta of global counts). */
    public int currentHart() {
        return current;
    }

    /** The global instruction count: the virtual clock. Exact even inside a device or hypercall callback. */
    public long now() {
        return instructions + harts[current].sliceSteps();
    }

    /** Timebase ticks ({@link Timebase#FREQUENCY_HZ}) at {@link #now()}. */
    public long time() {
        return Timebase.ticks(now());
    }

    /**
     * Gives the machine a new VM generation ID (16 bytes): the guest sees it at once and, when it
     * differs, gets the device's interrupt. Returns false on machine types without the device.
     */
    public boolean setGenerationId(byte[] id) {
        if (platform.generationId() == null) {
            return false;
        }
        platform.generationId().change(id);
        return true;
    }

    /**
     * Sets the generation ID a freshly booted machine starts with (no interrupt: there is no earlier
     * ID for the guest to have seen). Returns false on machine types without the device.
     */
    public boolean initializeGenerationId(byte[] id) {
        if (platform.generationId() == null) {
            return false;
        }
        platform.generationId().initial(id);
        return true;
    }

    /** The VM generation ID, or null on machine types without the device. */
    public byte[] generationId() {
        return platform.generationId() == null ? null : platform.generationId().id();
    }

    /** Attaches the HTIF tohost word (riscv-tests); it must lie in RAM. */
    public void enableHtif(long tohost) {
        new Htif(this, tohost).attach();
    }

    /** Asks the machine to stop after the current instruction; the first request wins. */
    public void requestStop(StopReason reason, long detail) {
        if (stop == null) {
            stop = reason;
            stopDetail = detail;
        }
    }

    /**
     * Asks a run in progress, from any thread, to return soon: at the next step of its loop, at most
     * {@link #CHECK_INTERVAL} instructions and one check point's device work away. The run ends as if
     * its budget ended there (a count any run could end at), so the state stays what an
     * uninterrupted run would pass through. Stays set, and makes every run return at once, until
     * {@link #clearInterrupt}.
     */
    public void interrupt() {
        interrupted = true;
    }

    public void clearInterrupt() {
        interrupted = false;
    }

    /** Where the last run that ended {@link StopReason#TRAP_LOOP} found a hart stuck; null if none did. */
    public TrapLoop trapLoop() {
        return trapLoop;
    }

    /** The stop request still pending after a run, if the guest ended (SHUTDOWN etc.); null while it can run. */
    public StopReason stopped() {
        return stop;
    }

    /**
     * Runs at most {@code budget} global instructions (negative: no limit). Returns when the budget
     * is used, the guest stops the machine, no hart can ever run again, or {@link #interrupt} was
     * called (then the result says BUDGET_EXHAUSTED: the caller knows why it asked).
     */
    public RunResult run(long budget) {
        if (stop == StopReason.IDLE || stop == StopReason.BREAKPOINT || stop == StopReason.TRAP_LOOP) {
            stop = null;            // none is a state: a later run looks for input again, or goes on
        }
        memory.checkEpoch();
        long start = instructions;
        long end = budget < 0 || start + budget < start ? Long.MAX_VALUE : start + budget;
        while (stop == null && instructions < end && !interrupted) {
            long now = instructions;
            if (now % CHECK_INTERVAL == 0) {
                checkPoint(now);
            }
            long nextCheck = now - now % CHECK_INTERVAL + CHECK_INTERVAL;
            Hart h = harts[current];
            if (!h.runnable() && now % CHECK_INTERVAL != 0) {
                // the first check point after a hart stopped always happens (input may arrive there);
                // only from a check point may the clock jump further, wherever this run began or ends
                advanceIdle(now, Math.min(nextCheck, end));
                continue;
            }
            if (!h.runnable()) {
                long wake = anyRunnable() || platform.holdsWork() ? nextCheck : earlier(nextDeadline(now), inputDue(now));
                if (wake < 0 && externalInput.awaitConsole(now)) {
                    checkPoint(now);            // input may have arrived: look again at this same count
                    continue;
                }
                if (wake < 0) {
                    // nothing can ever wake a hart: stop here, whatever the budget, so the state
                    // (its clock included) does not depend on how long the caller allowed the run
                    requestStop(StopReason.IDLE, 0);
                    break;
                }
                if (wake > nextCheck) {
                    wake = externalInput.idleUntil(now, wake);     // a live link waits in real time
                }
                advanceIdle(now, Math.min(Math.max(wake, nextCheck), end));
                continue;
            }
            memory.beforeSlice();
            int n = h.interpret((int) (Math.min(nextCheck, end) - now));
            instructions += n;
        }
        if (stop == StopReason.BREAKPOINT) {
            // the slice counted the breakpoint like a trapping instruction; it has not run
            instructions--;
            harts[current].uncountBreakpoint();
        }
        console.flush();
        if (stop != null) {
            return new RunResult(stop, stopDetail, instructions - start);
        }
        return new RunResult(StopReason.BUDGET_EXHAUSTED, 0, instructions - start);
    }

    /** Global instruction count so far. */
    public long instructions() {
        return instructions;
    }

    /**
     * Virtual time (in instructions) this machine object has let pass with no hart able to run (all
     * waiting in wfi or stopped): the clock moved without executing. Not part of the state; a
     * difference between two readings depends only on the counts in between, however runs were split.
     */
    public long idleInstructions() {
        return idleInstructions;
    }

    private void advanceIdle(long now, long to) {
        if (!anyRunnable()) {
            idleInstructions += to - now;
        }
        instructions = to;
    }

    private void checkPoint(long now) {
        platform.checkPoint();
        deliverInput(now);
        if (platform.net() != null) {
            deliverFrames(now);
        }
        if (platform.rtc() != null) {
            platform.rtc().tick();
        }
        for (Hart h : harts) {
            if (!h.stopped()) {
                Privileged.updateTimers(h, now);
                if (h.waitingForInterrupt() && (h.mip() & h.mie()) != 0) {
                    h.setWaitingForInterrupt(false);
                }
            }
        }
        if (harts.length > 1 && (now % QUANTUM == 0 || !harts[current].runnable())) {
            int next = current;
            for (int i = 1; i <= harts.length; i++) {
                int c = (current + i) % harts.length;
                if (harts[c].runnable()) {
                    next = c;
                    break;
                }
            }
            if (next != current) {
                for (Hart h : harts) {
                    h.clearReservation();
                }
                current = next;
            }
        }
        Hart h = harts[current];
        if (h.runnable()) {
            Privileged.takeInterrupt(h);
        }
    }

    /**
     * Takes console input from outside at a check point (so the count at which a byte arrives does
     * not depend on how a run was split) for the device the guest reads, and hands it over: the
     * virtio console once its driver is ready, else the UART once the guest reads it (always in
     * machine mode; in hypervisor mode once the driver enabled its receive interrupt). With neither,
     * nothing is taken (SBI getchar asks at its own count). At most {@link #INPUT_BUFFER} bytes are
     * held; each delivery is reported as an event.
     */
    private void deliverInput(long now) {
        var vcon = platform.console();
        var uart = platform.uart();
        boolean consoleReady = vcon != null && platform.consoleReady();
        boolean uartReady = config.machineMode() || uart.receiveInterruptEnabled();
        int room = input.length - inputLength;
        if (room > 0 && (consoleReady || uartReady)) {
            int n = externalInput.console(now, anyWaiting(), incoming, room);
            if (n > 0) {
                System.arraycopy(incoming, 0, input, inputLength, n);
                inputLength += n;
                inputListener.accept(new InputEvent(now, InputEvent.Kind.CONSOLE, Arrays.copyOf(incoming, n)));
            }
        }
        if (inputLength == 0) {
            return;
        }
        int taken;
        if (consoleReady) {
            taken = vcon.deliverInput(Arrays.copyOf(input, inputLength));
        } else if (uartReady) {
            taken = uart.deliverInput(Arrays.copyOf(input, inputLength));
        } else {
            return;
        }
        System.arraycopy(input, taken, input, 0, inputLength - taken);
        inputLength -= taken;
    }

    /**
     * Takes the frames due at this check point for the network card, while its driver is ready and
     * it has room, at most {@link #FRAMES_PER_CHECK_POINT}: each is an input event at this count,
     * delivered to the card, which places or drops it by the guest's state alone.
     */
    private void deliverFrames(long now) {
        VirtioNet net = platform.net();
        if (!platform.netReady()) {
            return;
        }
        for (int i = 0; i < FRAMES_PER_CHECK_POINT && net.pendingFrames() < VirtioNet.PENDING_MAX; i++) {
            int n = externalInput.frame(now, frame);
            if (n <= 0) {
                break;
            }
            byte[] f = Arrays.copyOf(frame, n);
            inputListener.accept(new InputEvent(now, InputEvent.Kind.FRAME, f));
            net.deliverFrame(f);
        }
    }

    private boolean anyWaiting() {
        for (Hart h : harts) {
            if (!h.stopped() && h.waitingForInterrupt()) {
                return true;
            }
        }
        return false;
    }

    private boolean anyRunnable() {
        for (Hart h : harts) {
            if (h.runnable()) {
                return true;
            }
        }
        return false;
    }

    /** The first check point at which an armed, enabled timer wakes a waiting hart; -1 if none. */
    private long nextDeadline(long now) {
        long best = -1;
        long time = Timebase.ticks(now);
        for (Hart h : harts) {
            if (h.stopped()) {
                continue;
            }
            best = earlier(best, deadline(h.mtimecmp(), (h.mie() & (1L << 7)) != 0, time));
            best = earlier(best, deadline(h.sbiTimer(), (h.mie() & (1L << 5)) != 0, time));
        }
        long alarm = platform.rtc() == null ? -1 : platform.rtc().alarmInstruction();
        if (best < 0 && alarm < 0) {
            return -1;
        }
        long at = best < 0 ? alarm : Timebase.instructionsFor(best);
        if (alarm >= 0 && (at < 0 || alarm < at)) {
            at = alarm;
        }
        if (at < 0 || at > Long.MAX_VALUE - CHECK_INTERVAL) {
            return -1;
        }
        return (at + CHECK_INTERVAL - 1) / CHECK_INTERVAL * CHECK_INTERVAL;
    }

    /** The first check point at or after which the input source says console bytes or frames are due; -1 if unknown. */
    private long inputDue(long now) {
        long at = earlier(externalInput.nextConsoleAt(now),
                platform.net() != null && platform.netReady() ? externalInput.nextFrameAt(now) : -1);
        if (at < 0 || at > Long.MAX_VALUE - CHECK_INTERVAL) {
            return -1;
        }
        return (at + CHECK_INTERVAL - 1) / CHECK_INTERVAL * CHECK_INTERVAL;
    }

    private static long deadline(long cmp, boolean enabled, long time) {
        return enabled && cmp != -1 && Long.compareUnsigned(cmp, time) > 0 ? cmp : -1;
    }

    private static long earlier(long a, long b) {
        if (a < 0) return b;
        if (b < 0) return a;
        return Long.compareUnsigned(a, b) <= 0 ? a : b;
    }

    /** The platform devices' view of the machine. */
    private final class Devices implements PlatformHost {
        @Override
        public long instructions() {
            return now();
        }

        @Override
        public void setExternal(int hart, boolean supervisor, boolean level) {
            harts[hart].setPending(supervisor ? 1L << 9 : 1L << 11, level);
        }

        @Override
        public void put(byte b) {
            console.write(b & 0xFF);
        }

        @Override
        public void send(byte[] f, int offset, int length) {
            frameSink.send(f, offset, length);
        }

        @Override
        public void powerOff() {
            requestStop(StopReason.SHUTDOWN, 0);
        }

        @Override
        public void reboot() {
            requestStop(StopReason.REBOOT, 0);
        }

        @Override
        public void fail(int code) {
            requestStop(StopReason.GUEST_FAILURE, code);
        }

        /** Entropy for virtio-rng, from the machine's input at this exact count, reported as an event. */
        @Override
        public int fill(byte[] dst, int off, int len) {
            if (len <= 0) {
                return 0;
            }
            long at = now();
            externalInput.entropy(at, dst, off, len);
            inputListener.accept(new InputEvent(at, InputEvent.Kind.ENTROPY, Arrays.copyOfRange(dst, off, off + len)));
            return len;
        }
    }

    /** The harts' view of the machine. */
    private final class Host implements HartHost {
        @Override
        public long instructionCount() {
            return instructions;
        }

        @Override
        public boolean environmentCall(Hart hart) {
            return sbi != null && sbi.call(hart);
        }

        @Override
        public boolean stopRequested() {
            return stop != null;
        }

        @Override
        public void breakpoint(Hart hart) {
            requestStop(StopReason.BREAKPOINT, hart.id);
        }

        @Override
        public void trapLoop(Hart hart, long cause, long tval, int privilege) {
            if (stop == null) {
                trapLoop = new TrapLoop(hart.id, cause, tval, hart.pc(), privilege, now());
            }
            requestStop(StopReason.TRAP_LOOP, hart.id);
        }
    }
}
