package dev.vmtree.dom0.rv64;

import dev.vmtree.core.Console;
import dev.vmtree.dom0.MachineDriver;
import java.util.concurrent.locks.LockSupport;

/**
 * The core's {@link Console} over whichever {@link MachineDriver.Console} the current run uses:
 * output goes to it, input is polled from it, and a guest waiting for input blocks here (polling
 * every millisecond) until a byte comes, the input ends, or a stop is requested. Output is
 * buffered and written in blocks. Used by the machine's thread only, except {@link #wake}.
 */
final class SwitchableConsole implements Console {
    private MachineDriver.Console target;
    private final byte[] out = new byte[4096];
    private int outLength;
    private int pushedBack = -1;
    private volatile boolean stopping;

    void attach(MachineDriver.Console console) {
        flush();
        this.target = console;
        this.stopping = false;
    }

    /** Ends a wait for input (a stop was requested). Any thread. */
    void wake() {
        stopping = true;
    }

    @Override
    public void write(int b) {
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
            return b;
        }
        if (target == null) {
            return -1;
        }
        int c = target.poll();
        return c < 0 ? -1 : c & 0xFF;
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
            int c = target.poll();
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
