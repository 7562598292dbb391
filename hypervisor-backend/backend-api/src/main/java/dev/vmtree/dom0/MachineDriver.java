package dev.vmtree.dom0;

import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.WriteTransaction;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Objects;
import java.util.Set;

/**
 * The seam between Dom0 (policy) and a hypervisor backend (mechanism): everything the toolstack's
 * machine-level commands (create, run, status, commit, checkout, rollback, diff, show, mem, reg)
 * need, and nothing about refs, instances or names, which stay in Dom0. The embedded RV64 core
 * implements it once its {@code capture()}/{@code restore()} of a whole MachineState exists
 * (issue 4); another backend (QEMU/KVM) later implements the same interface. docs/cli.md ("Machine
 * commands over the driver seam") describes how each command uses it.
 *
 * <p>A stored state is neutral: named small files (hart, device and clock state, the ReplayLog,
 * the machine definition) and named images (RAM, disks) as PageTree roots. A snapshot's tree holds
 * exactly these, and an instance's {@link WorkingState} holds the same with its files as chunks, so
 * Dom0 turns one into the other (commit, checkout) without the driver.
 *
 * <p>Threading: a {@link LiveMachine} is driven by one thread; {@link LiveMachine#requestStop} may
 * be called from any thread (signal handlers, the detach key), and {@link Capture#write} from any
 * thread while the machine runs on.
 */
public interface MachineDriver {

    /**
     * The ReplayLog of a stored state (docs/format.md "ReplayLog"): the file {@value #LOG_FILE} and,
     * from format version 3, the images {@value #LOG_EVENTS} (the event list) and {@value #LOG_DATA}
     * (the payloads), each present when not empty. None of them is part of the StateId; they start
     * afresh at each snapshot. Being images, the log's pages are chunks that gc, fsck and du follow
     * like RAM and disk pages, from snapshots, reflogs and working states alike.
     */
    String LOG_FILE = "replay.log", LOG_EVENTS = "replay.events", LOG_DATA = "replay.data";

    /** Whether image {@code name} holds part of a ReplayLog rather than machine state. */
    static boolean isLogImage(String name) {
        return name.equals(LOG_EVENTS) || name.equals(LOG_DATA);
    }

    /** {@code s} without its ReplayLog (the file and its images). */
    static StoredState withoutLog(StoredState s) {
        Map<String, byte[]> files = new HashMap<>(s.files());
        files.remove(LOG_FILE);
        Map<String, PageTreeRoot> images = new LinkedHashMap<>(s.images());
        images.keySet().removeIf(MachineDriver::isLogImage);
        return new StoredState(files, images);
    }

    /**
     * The machine definition file of a stored state: text whose line {@code backend NAME} names the
     * backend that made the machine ({@link #name}), so Dom0 finds the driver for any stored state.
     */
    String DEFINITION_FILE = "machine";

    /** The backend {@code s}'s definition file names, or null when it names none (or has no such file). */
    static String recordedBackend(StoredState s) {
        byte[] def = s.files().get(DEFINITION_FILE);
        if (def == null) {
            return null;
        }
        for (String line : new String(def, java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("backend ")) {
                return line.substring(8).trim();
            }
        }
        return null;
    }

    /** Name recorded in the machine definition file, so a snapshot names the backend that made it. */
    String name();

    /** What this backend can do beyond the interface's minimum (see {@link Capability}). */
    Set<Capability> capabilities();

    /** Builds a fresh machine from a definition: loads the kernel or image, firmware and initrd, sizes RAM and disk. */
    LiveMachine create(MachineSpec spec);

    /**
     * Rebuilds a machine from a stored state. Must be lazy: RAM and disk pages are faulted in from
     * {@code repo} on first touch, so restoring costs O(1) in the machine's size.
     */
    LiveMachine restore(Repository repo, StoredState state);

    /**
     * Restores {@code start} to re-run the ReplayLog {@code logged} carries ({@code logged} is a state
     * that grew from {@code start}; its log is its file {@code replay.log} and, from format version 3,
     * the images holding the log's event list and payloads): outside input now comes only from the
     * log, and the log's edits (memory, register and disk writes) are applied at their instruction
     * counts by {@link Replay#replayTo}. Lazy like {@link #restore}. CANNOT_RUN when the log is corrupt
     * or does not start where {@code start} stands.
     */
    Replay replay(Repository repo, StoredState start, StoredState logged);

    /**
     * Serves a debugger for {@code m} (a machine this driver restored) over the GDB remote serial
     * protocol on {@code host}:{@code port} (0: a free port), with reverse execution from automatic
     * checkpoints every {@code checkpointInterval} instructions. Calls {@code ready} with the bound
     * address once listening, guest output goes to {@code console}, {@code log} hears one line per
     * event; returns when the debugger has left. The session works on the machine in memory only:
     * nothing is stored. With a {@code logged} state (null: none; a state that grew from {@code m}'s,
     * as for {@link #replay}) the machine's outside input comes from the ReplayLog that state carries,
     * read from {@code repo}, instead of the console, at its instruction counts: the session re-lives
     * how that state came to be. Edits in the log at its first instruction are applied before the
     * session; a log with later edits is refused (BAD_INPUT), a corrupt one is CANNOT_RUN.
     */
    void debug(Repository repo, LiveMachine m, StoredState logged, java.net.InetAddress host, int port,
               long checkpointInterval,
               Console console, java.util.function.Consumer<java.net.InetSocketAddress> ready,
               java.util.function.Consumer<String> log);

    /**
     * After {@code lost}'s run stopped {@link StopCause#UNAVAILABLE}: a machine restored from
     * {@code from} (the state {@code lost} was restored from, or one of its captures since that
     * is named) and brought, by re-running {@code lost}'s ReplayLog since then, to the instruction
     * count at which {@code lost} was last whole, the count its outcome reported. The pages that
     * takes were all faulted in by {@code lost} already, so no remote is asked; the result runs and
     * saves like any machine, with {@code lost}'s log. CANNOT_RUN when the re-run does not get
     * there (a page it needs is still unavailable); then {@code from} is all there is to keep.
     * Only for backends with {@link Capability#DETERMINISTIC_REPLAY}.
     */
    LiveMachine recover(Repository repo, StoredState from, LiveMachine lost);

    /** The StateId of a stored state, as the core defines it (docs/format.md), without running anything. */
    StateId stateId(StoredState state);

    /** What `vmtree show` and `diff` read of a stored state, from its small files only: no page is read. */
    StateSummary summarize(StoredState state);

    /**
     * The parts of two stored states, other than registers and pages, that differ (devices, clock,
     * halt, pending input, hidden hart state): one line each, naming the part and its fields.
     */
    List<String> differingDevices(StoredState a, StoredState b);

    /** The key register {@code name} has in {@link StateSummary#registers} ("a0" is "x10"); BAD_INPUT when unknown. */
    String registerKey(String name);

    /** Another name of a register key (its ABI name: "a0" for "x10"), or null. */
    String registerAlias(String key);

    /**
     * A stored state as `vmtree show` prints it.
     *
     * @param ramImage     the image holding RAM, whose page {@code i} is guest-physical {@code ramBase + i * pageSize}
     * @param diskImages   the images holding disks, in slot order (byte {@code i * pageSize} is block {@code i})
     * @param diskBytes    each disk's size in bytes as the guest sees it (its image may be rounded up to whole blocks)
     * @param halted       how the guest ended the machine ("powered off", ...), or null while it can run
     * @param registers    per hart, every register by key in display order ("pc", "priv" for the privilege level)
     * @param replayEvents events of the state's ReplayLog by kind ("console input", "memory write", ...)
     */
    /**
     * What {@code show} prints of a state. {@code clockBase}: the real-time clock at instruction 0 as
     * an ISO-8601 instant, {@code generationId}: 32 hex digits; both null on machines without them.
     */
    record StateSummary(String backend, String kernel, long memoryBytes, String ramImage, long ramBase,
                        List<String> diskImages, List<Long> diskBytes, long instructions, String halted, List<Map<String, Long>> registers,
                        Map<String, Long> replayEvents, String machineType, String isa, String clockBase,
                        String generationId) {
        public StateSummary {
            diskImages = List.copyOf(diskImages);
            diskBytes = List.copyOf(diskBytes);
            registers = List.copyOf(registers);
        }
    }

    /** What `vmtree create` collects; sizes already parsed (see {@link Sizes}). */
    /**
     * A machine to define. {@code clockBase}: the real-time clock's reading at instruction 0 in
     * nanoseconds since the epoch; {@code generationId}: the VM generation ID it starts with (16 bytes).
     */
    record MachineSpec(long memoryBytes, int harts, Path kernel, Boot boot, Path firmware, Path initrd,
                       long diskBytes, Path diskImage, String bootargs, long clockBase, byte[] generationId) {
        public MachineSpec {
            Objects.requireNonNull(kernel, "kernel");
            Objects.requireNonNull(boot, "boot");
            bootargs = bootargs == null ? "" : bootargs;
            generationId = generationId == null ? new byte[16] : generationId.clone();
            if (generationId.length != 16) {
                throw new IllegalArgumentException("a generation ID has 16 bytes");
            }
        }

        /** A machine whose clock starts at the epoch and whose generation ID is all zeroes. */
        public MachineSpec(long memoryBytes, int harts, Path kernel, Boot boot, Path firmware, Path initrd,
                           long diskBytes, Path diskImage, String bootargs) {
            this(memoryBytes, harts, kernel, boot, firmware, initrd, diskBytes, diskImage, bootargs, 0, null);
        }

        @Override
        public byte[] generationId() {
            return generationId.clone();
        }
    }

    /** How a guest boots: an ELF run in S-mode under the hypervisor's SBI, or bare-metal M-mode. */
    enum Boot { SUPERVISOR_ELF, MACHINE_ELF }

    /** A state as stored: small files by name and images by name. Immutable. */
    record StoredState(Map<String, byte[]> files, Map<String, PageTreeRoot> images) {
        public StoredState {
            files = Map.copyOf(files);
            images = Map.copyOf(images);
        }
    }

    /** Why a run stopped; every cause ends in a suspend that saves the working state. */
    enum StopCause {
        POWER_OFF, BUDGET, TIMEOUT, DETACH, SIGNAL, GUEST_FAULT,
        /** Every hart waits for input that will never come (the input file ended, or no input at all). */
        IDLE,
        /**
         * The input ended, the guest took all of it, and it has printed nothing while its harts waited
         * for the run's idle time of virtual time ({@code run --idle}): an idle Linux keeps timers
         * armed, so IDLE never comes.
         */
        QUIET,
        /** A hart can never make progress: it takes the same exception at its own trap vector again and again. */
        STUCK,
        /**
         * A page the machine needed could not be faulted in: its chunk is promised by a remote (a lazy
         * clone's) that cannot give it now (docs/remotes.md, "Lazy clones"). The machine stopped inside an
         * instruction and cannot be captured; the outcome counts the instructions up to the last point
         * it was whole at, and {@link MachineDriver#recover} brings a machine there to be saved.
         */
        UNAVAILABLE
    }

    /**
     * The end of one {@link LiveMachine#run}: why, how many instructions it retired, the guest's exit
     * status if it powered off, and what the backend says about the stop (which hart is stuck, and
     * how), or null.
     */
    record RunOutcome(StopCause cause, long instructions, int guestExitCode, String detail) {
        public RunOutcome(StopCause cause, long instructions, int guestExitCode) {
            this(cause, instructions, guestExitCode, null);
        }
    }

    /** The console as a run sees it: input bytes (each delivered one becomes a ReplayLog event) and output. */
    interface Console {
        /** {@link #poll} when no byte is waiting now. */
        int NONE = -1;
        /** {@link #poll} when no byte will ever come again (end of an input file). */
        int END = -2;

        /** The next input byte, {@link #NONE} or {@link #END}; never blocks. */
        int poll();

        void write(byte[] b, int off, int len);

        /** No input, output dropped (a replay's output was shown when it first happened). */
        Console DISCARD = new Console() {
            @Override
            public int poll() {
                return END;
            }

            @Override
            public void write(byte[] b, int off, int len) {}
        };

        default void flush() {}
    }

    /** A machine re-running a ReplayLog (see {@link MachineDriver#replay}); it logs what it replays as it goes. */
    interface Replay extends LiveMachine {
        /** {@link #replayTo} without a pc to stop at. */
        long NO_PC = -1;

        /**
         * Runs on until the clock reads exactly {@code instructions}, or (when {@code pc} is not
         * {@link #NO_PC}) until the hart about to execute is at {@code pc}, applying the log's
         * edits at their counts. Stops early, as {@link #run} does, when the guest powers off or
         * waits for input the log does not have. Guest output goes to {@code out}, flushed before
         * this returns.
         */
        RunOutcome replayTo(long instructions, long pc, Console out);

        /** The hart that executes the next instruction. */
        int currentHart();

        /** The first moment the run and the log disagreed (input not taken where logged, ...), or null. */
        String divergence();
    }

    /**
     * A machine's state taken by {@link LiveMachine#capture} and not yet stored. {@link #write} may
     * be called from any thread while the machine's thread runs the machine on: it reads only what
     * the capture froze, never the live machine, and stores exactly the state of the capture
     * instant. The working state it returns is confirmed through {@link LiveMachine#persisted}
     * on the machine's thread.
     */
    interface Capture {
        /** The machine's instruction count at the capture. */
        long instructions();

        /**
         * Stores the captured state through {@code tx} (pages dirty at the capture, state files as
         * chunks) and returns it as a working state for the caller to name, as {@link
         * LiveMachine#persist} does. {@code tx} is this thread's: the store's writer lock belongs
         * to the thread that began it.
         */
        WorkingState write(WriteTransaction tx);
    }

    /** A machine in this process. */
    interface LiveMachine extends AutoCloseable {

        /** Retired instructions since the machine was created: the virtual clock. */
        long instructions();

        /**
         * Runs until the guest powers off, {@code maxInstructions} more retire (negative: no limit; 0 runs
         * nothing), or a stop is requested.
         */
        default RunOutcome run(long maxInstructions, Console console) {
            return run(maxInstructions, null, console);
        }

        /**
         * {@link #run(long, Console)}, and with {@code idle} not null also stops ({@link StopCause#QUIET})
         * once the console's input has ended, the guest has taken all of it, and neither an input byte
         * nor guest output has come while {@code idle} of virtual time passed with every hart waiting.
         * The moment is decided from instruction counts (the virtual clock), never from the wall clock.
         */
        RunOutcome run(long maxInstructions, java.time.Duration idle, Console console);

        /** Asks a running {@link #run} to stop after the current instruction; callable from any thread. */
        void requestStop(StopCause cause);

        /**
         * Captures the whole MachineState and persists it through {@code tx}: only pages dirty since
         * the last persist are written (cost grows with dirty pages, not RAM size), state files go in
         * as chunks. Returns the new working state; the caller saves it in the instance record.
         * The same as {@code capture(instructionsSinceBase).write(tx)}.
         */
        default WorkingState persist(WriteTransaction tx, long instructionsSinceBase) {
            return capture(instructionsSinceBase).write(tx);
        }

        /**
         * The fast half of {@link #persist}, on the machine's thread between runs (never from inside
         * {@link #run}, a console callback say: the core notices a freeze when a run starts): takes the whole
         * MachineState as it is now (the RAM and disk images frozen copy-on-write, the execution
         * state, the ReplayLog up to this instant) without storing anything. Costs O(dirty pages)
         * index copies and the small state, no page data and no store I/O, so the machine can run
         * on while another thread {@linkplain Capture#write writes} the capture.
         */
        Capture capture(long instructionsSinceBase);

        /**
         * Tells the machine that {@code saved}, what a {@link #persist} or a {@link Capture#write}
         * returned, is now named durably (an instance record or a snapshot), so the next persist
         * stores only what changed since it was captured; pages written after the capture stay
         * changed. Until then every persist stores again all that changed since the last named
         * state: a save retried after a failure must not build on chunks nothing names, which a gc
         * may have collected in between. A state captured before the one last confirmed, or one the
         * machine does not know, changes nothing. On the machine's thread.
         */
        void persisted(WorkingState saved);

        /** Number of harts. */
        int harts();

        /** RAM pages and disk blocks written since the state this machine was restored from or last persisted. */
        long dirtyPages();

        /** Reads guest-physical memory (for `vmtree mem read` on a live or restored machine). */
        byte[] readMemory(long address, int length);

        /** Writes guest-physical memory; recorded as a ReplayLog event by the driver. */
        void writeMemory(long address, byte[] data);

        /** Register names and values of one hart ("pc", "x1".."x31", CSR names), for `vmtree reg`. */
        Map<String, Long> registers(int hart);

        /** Sets one register; recorded as a ReplayLog event by the driver. */
        void setRegister(int hart, String name, long value);

        /** Number of disks. */
        int diskCount();

        /**
         * Disk {@code index} as a block device for access from outside the guest (an NBD export):
         * reads and writes go to the machine's working disk. BAD_INPUT for a disk it does not have.
         */
        dev.vmtree.cow.disk.BlockDevice disk(int index);

        /**
         * Records in the ReplayLog that {@code length} bytes at {@code offset} of disk {@code index}
         * were just changed from outside the guest (the bytes are read back from the disk). May be
         * called from another thread than the one driving the machine, one call at a time.
         */
        void recordDiskWrite(int index, long offset, long length);

        /**
         * Gives the machine a new VM generation ID (16 bytes), logged as a ReplayLog event at the
         * current instruction count: the guest sees it with an interrupt. False (nothing changed) on
         * machine types without the device and on a machine that has powered off.
         */
        boolean changeGeneration(byte[] id);

        /** The machine's VM generation ID, or null on machine types without the device. */
        byte[] generationId();

        @Override
        void close();
    }
}
