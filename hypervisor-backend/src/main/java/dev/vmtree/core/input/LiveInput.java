package dev.vmtree.core.input;

import dev.vmtree.core.Console;
import java.security.SecureRandom;

/**
 * Input from the host: console bytes from a {@link Console}, entropy from {@link SecureRandom}.
 * Asking the host costs a system call, so the console is looked at only when a hart is idle or
 * every {@link #POLL_INTERVAL} instructions; that choice never reaches the guest unrecorded,
 * because the machine logs whatever arrives with its instruction count. Not thread-safe.
 */
public final class LiveInput implements ExternalInput {
    /** Instructions between two looks at the host console while every hart is busy (about a millisecond). */
    public static final long POLL_INTERVAL = 1L << 18;

    private final Console console;
    private final SecureRandom random;
    private long lastPoll;
    private boolean polled;

    public LiveInput(Console console) {
        this(console, new SecureRandom());
    }

    public LiveInput(Console console, SecureRandom random) {
        this.console = console;
        this.random = random;
    }

    @Override
    public int console(long now, boolean idle, byte[] dst, int max) {
        if (!idle && polled && now >= lastPoll && now - lastPoll < POLL_INTERVAL) {
            return 0;
        }
        polled = true;
        lastPoll = now;
        int n = 0;
        while (n < max) {
            int c = console.read();
            if (c < 0) {
                break;
            }
            dst[n++] = (byte) c;
        }
        return n;
    }

    @Override
    public void entropy(long now, byte[] dst, int off, int len) {
        byte[] b = new byte[len];
        random.nextBytes(b);
        System.arraycopy(b, 0, dst, off, len);
    }

    @Override
    public boolean awaitConsole(long now) {
        return console.awaitInput();
    }
}
