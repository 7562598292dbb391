package dev.vmtree.dom0.rv64;

import dev.vmtree.core.Console;
import dev.vmtree.dom0.MachineDriver;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * The core's {@link Console} over whichever {@link MachineDriver.Console} the current run uses:
 * output goes to it, input is polled from it, and a guest waiting for input blocks here (polling
 * every millisecond) until a byte comes, the input ends, or a stop is requested. Output is
 * buffered and written in blocks: at a newline, when the buffer is full, before waiting for input,
 * and at the end of every slice the machine runs (the core machine flushes its console then), so a partial line
 * shows within milliseconds too.
 *
 * <p>For the idle rule ({@link CoreRun}) it notes the virtual time of the last console activity (a
 * byte written, or taken by the guest) and whether the input has ended (the guest asked for more
 * and there will never be any). Used by the machine's thread only, except {@link #wake}.
 */
public final class SwitchableConsole implements Console {
    private MachineDriver.Console target;
    private final byte[] out = new byte[4096];
    private int outLength;
    private int pushedBack = -1;
    private volatile boolean stopping;
    private LongSupplier clock = () -> 0, idleClock = () -> 0;
    private long lastActivity, idleAtActivity;
    private boolean inputEnded;
    private Runnable onInputEnd;

    public SwitchableConsole() {}

    /** Sends output to, and takes input from, {@code console} from now on; a fresh start for the idle rule. */
    void attach(MachineDriver.Console console) {
        flush();
        this.target = console;
        this.stopping = false;
        this.inputEnded = false;
        activity();
    }

    /**
     * The machine's clock (its global instruction count, exact inside device callbacks) and its
     * count of idle virtual time ({@code Machine.idleInstructions}).
     */
    void clock(LongSupplier clock, LongSupplier idleClock) {
        this.clock = clock;
        this.idleClock = idleClock;
    }

    private void activity() {
        lastActivity = clock.getAsLong();
        idleAtActivity = idleClock.getAsLong();
    }

    /** Called once, on the machine's thread, when the input is first found to have ended (null: nothing). */
    void onInputEnd(Runnable action) {
        this.onInputEnd = action;
    }

    /** Ends a wait for input (a stop was requested). Any thread. */
    void wake() {
        stopping = true;
    }

    /** The instruction count of the last byte written or taken, or of the attach. */
    long lastActivity() {
        return lastActivity;
    }

    /** The machine's idle count at the last byte written or taken, or at the attach. */
    long idleAtLastActivity() {
        return idleAtActivity;
    }

    /** Whether the input has ended and the guest took every byte this console holds. */
    boolean inputEnded() {
        return inputEnded && pushedBack < 0;
    }

    @Override
    public void write(int b) {
        activity();
        out[outLength++] = (byte) b;
        if (outLength == out.length || b == '\n') {
            flush();
        }
    }

    @Override
    public int read() {
        if (pushedBack >= 0) {
            int b = pushedBack;
            pushedBack = -1;
            activity();
            return b;
        }
        if (target == null) {
            return -1;
        }
        int c = poll();
        if (c < 0) {
            return -1;
        }
        activity();
        return c & 0xFF;
    }

    private int poll() {
        int c = target.poll();
        if (c == MachineDriver.Console.END && !inputEnded) {
            inputEnded = true;
            if (onInputEnd != null) {
                onInputEnd.run();
            }
        }
        return c;
    }

    @Override
    public void flush() {
        if (outLength > 0 && target != null) {
            target.write(out, 0, outLength);
        }
        outLength = 0;
        if (target != null) {
            target.flush();
        }
    }

    @Override
    public boolean awaitInput() {
        if (pushedBack >= 0) {
            return true;
        }
        flush();
        while (!stopping && target != null) {
            int c = poll();
            if (c >= 0) {
                pushedBack = c & 0xFF;
                return true;
            }
            if (c == MachineDriver.Console.END) {
                return false;
            }
            LockSupport.parkNanos(1_000_000);
        }
        return false;
    }
}
