package dev.vmtree.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The controlling terminal in character mode for {@code vmtree run}: every key (Ctrl-C included)
 * reaches the program instead of the line discipline, no local echo; output processing stays on.
 * Done with stty on /dev/tty, restored on {@link #close} (also from a shutdown hook).
 */
final class Tty implements AutoCloseable {
    private final String saved;
    private boolean restored;

    private Tty(String saved) {
        this.saved = saved;
    }

    /** True when standard input and output are a terminal. */
    static boolean interactive() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /** Puts the terminal in character mode; null when that is impossible (no stty, no /dev/tty). */
    static Tty raw() {
        String saved = stty("-g");
        if (saved == null || stty("-icanon", "-echo", "-isig", "-ixon", "-icrnl", "min", "1", "time", "0") == null) {
            return null;
        }
        Tty t = new Tty(saved.trim());
        Runtime.getRuntime().addShutdownHook(new Thread(t::close));
        return t;
    }

    private static String stty(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "stty";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(new java.io.File("/dev/tty"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public synchronized void close() {
        if (!restored) {
            restored = true;
            stty(saved);
        }
    }
}
