package dev.vmtree.core.debug;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.input.ExternalInput;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * A GDB remote serial protocol stub for one machine (docs/debug.md): gdb-multiarch connects with
 * {@code target remote HOST:PORT} and gets registers (with a target description), memory, software
 * and hardware breakpoints, write watchpoints, step, continue, and reverse execution
 * ({@code reverse-stepi}, {@code reverse-continue}) through {@link TimeTravel}. One client at a time;
 * the session ends when it detaches, kills or disconnects, and {@link #awaitEnd} then returns the
 * machine as it stands. Malformed packets get NAKs or error replies, never an exception.
 */
public final class GdbServer implements AutoCloseable {

    /** How the session behaves; {@code log} hears one line per notable event (connects, stops). */
    public record Options(long checkpointInterval, Consumer<String> log) {
        public static final Options DEFAULTS = new Options(TimeTravel.DEFAULT_CHECKPOINT_INTERVAL, s -> {});
    }

    private final ServerSocket server;
    private final TimeTravel time;
    private final Options options;
    private final Thread thread;
    private volatile Socket client;
    private volatile Throwable failure;

    private GdbServer(ServerSocket server, TimeTravel time, Options options) {
        this.server = server;
        this.time = time;
        this.options = options;
        this.thread = Thread.ofPlatform().name("gdb-stub").daemon().unstarted(this::serve);
    }

    /**
     * Listens on {@code host}:{@code port} (0: any free port) and serves {@code machine}, which it
     * takes over. Guest output goes to {@code console}; input past the recorded history comes from
     * {@code live}.
     */
    public static GdbServer start(InetAddress host, int port, Machine machine, Console console, ExternalInput live,
                                  Options options) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(host, port), 1);
        GdbServer g = new GdbServer(s, new TimeTravel(machine, console, live, options.checkpointInterval()), options);
        g.thread.start();
        return g;
    }

    public int port() {
        return server.getLocalPort();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** Blocks until the client has gone; returns the machine where the session left it. */
    public Machine awaitEnd() throws InterruptedException {
        thread.join();
        if (failure != null) {
            throw new IllegalStateException("gdb session failed: " + failure.getMessage(), failure);
        }
        return time.machine();
    }

    /** The session's machine engine (tests look at it). */
    TimeTravel timeTravel() {
        return time;
    }

    @Override
    public void close() {
        try {
            server.close();
            Socket c = client;
            if (c != null) {
                c.close();
            }
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private void serve() {
        try (ServerSocket s = server; Socket c = s.accept()) {
            client = c;
            c.setTcpNoDelay(true);
            options.log().accept("gdb connected from " + c.getRemoteSocketAddress());
            new Session(c.getInputStream(), c.getOutputStream()).run();
            options.log().accept("gdb session ended");
        } catch (IOException e) {
            // the listening socket closed or the client vanished: the session is over
        } catch (RuntimeException | Error e) {
            failure = e;
        }
    }

    /** One client connection: a reader thread turns bytes into units; this thread answers them. */
    private final class Session {
        private final OutputStream out;
        private final BlockingQueue<Rsp.Incoming> queue = new LinkedBlockingQueue<>();
        private boolean noAck;
        private byte[] lastReply = Rsp.frame("");
        private int registerHart;

        Session(InputStream in, OutputStream out) {
            this.out = out;
            Thread.ofPlatform().name("gdb-stub-reader").daemon().start(() -> {
                try {
                    for (Rsp.Incoming u; (u = Rsp.read(in)) != null; ) {
                        if (u instanceof Rsp.Incoming.Interrupt) {
                            time.interrupt();
                        }
                        queue.add(u);
                    }
                } catch (IOException e) {
                    // connection gone
                }
                queue.add(new Rsp.Incoming.Bad("eof"));
                queue.add(EOF);
            });
        }

        private static final Rsp.Incoming EOF = new Rsp.Incoming.Packet(new byte[] {'\n'});

        void run() throws IOException {
            while (true) {
                Rsp.Incoming u;
                try {
                    u = queue.take();
                } catch (InterruptedException e) {
                    return;
                }
                if (u == EOF) {
                    return;
                }
                switch (u) {
                    case Rsp.Incoming.Interrupt i -> { }     // only meaningful while running (handled by interrupt())
                    case Rsp.Incoming.Resend r -> send(lastReply);
                    case Rsp.Incoming.Bad b -> {
                        if (!b.why().equals("eof") && !noAck) {
                            out.write('-');
                            out.flush();
                        }
                    }
                    case Rsp.Incoming.Packet p -> {
                        if (!noAck) {
                            out.write('+');
                        }
                        String reply;
                        try {
                            reply = handle(p.text());
                        } catch (NumberFormatException | IndexOutOfBoundsException e) {
                            reply = "E01";
                        }
                        if (reply == null) {
                            out.flush();
                            return;                 // kill or detach: the session ends
                        }
                        lastReply = Rsp.frame(reply);
                        send(lastReply);
                        if (p.text().equals("D") || p.text().startsWith("vKill")) {
                            return;
                        }
                    }
                }
            }
        }

        private void send(byte[] framed) throws IOException {
            out.write(framed);
            out.flush();
        }

        /** The reply to one packet; null to end the session without one. */
        private String handle(String p) {
            if (p.isEmpty()) {
                return "";
            }
            char c = p.charAt(0);
            return switch (c) {
                case '?' -> "T05thread:" + Integer.toHexString(time.currentHart() + 1) + ";";
                case 'g' -> readRegisters();
                case 'G' -> writeRegisters(p.substring(1));
                case 'p' -> readRegister((int) Rsp.number(p.substring(1)));
                case 'P' -> writeRegister(p.substring(1));
                case 'm' -> readMemory(p.substring(1));
                case 'M' -> writeMemory(p.substring(1), false);
                case 'X' -> writeMemory(p.substring(1), true);
                case 'Z', 'z' -> breakpoint(c == 'Z', p.substring(1));
                case 'c' -> p.length() == 1 ? stopReply(time.resume(), 5) : "E01";
                case 's' -> p.length() == 1 ? stopReply(time.step(), 5) : "E01";
                case 'b' -> p.equals("bc") ? stopReply(time.reverseResume(), 5)
                        : p.equals("bs") ? stopReply(time.reverseStep(), 5) : "";
                case 'H' -> selectThread(p);
                case 'T' -> threadAlive(p.substring(1));
                case 'D' -> "OK";
                case 'k' -> null;
                case 'q', 'Q' -> query(p);
                case 'v' -> verbose(p);
                default -> "";
            };
        }

        private String query(String p) {
            if (p.startsWith("qSupported")) {
                return "PacketSize=" + Integer.toHexString(Rsp.MAX_PACKET) + ";qXfer:features:read+;swbreak+;hwbreak+;"
                        + "ReverseStep+;ReverseContinue+;QStartNoAckMode+;vContSupported+";
            }
            if (p.equals("QStartNoAckMode")) {
                noAck = true;
                return "OK";
            }
            if (p.startsWith("qXfer:features:read:")) {
                return features(p.substring("qXfer:features:read:".length()));
            }
            if (p.equals("qAttached")) {
                return "1";
            }
            if (p.equals("qC")) {
                return "QC" + Integer.toHexString(time.currentHart() + 1);
            }
            if (p.equals("qfThreadInfo")) {
                StringBuilder s = new StringBuilder("m");
                for (int h = 0; h < time.harts().size(); h++) {
                    s.append(h == 0 ? "" : ",").append(Integer.toHexString(h + 1));
                }
                return s.toString();
            }
            if (p.equals("qsThreadInfo")) {
                return "l";
            }
            if (p.startsWith("qThreadExtraInfo,")) {
                int hart = (int) Rsp.number(p.substring(17)) - 1;
                return time.hasHart(hart) ? Rsp.hex(("hart " + hart).getBytes(StandardCharsets.US_ASCII)) : "E01";
            }
            if (p.startsWith("qSymbol")) {
                return "OK";
            }
            if (p.startsWith("qRcmd,")) {
                return Rsp.hex(monitor(new String(Rsp.unhex(p.substring(6)), StandardCharsets.ISO_8859_1).strip())
                        .getBytes(StandardCharsets.ISO_8859_1));
            }
            return "";
        }

        /** gdb's {@code monitor CMD}: where the session is in machine time, to name a moment outside gdb. */
        private String monitor(String command) {
            return switch (command) {
                case "icount", "when" -> "instruction " + time.now() + " (hart " + time.currentHart() + " next; the session"
                        + " started at " + time.start() + " and has reached " + time.frontier() + ")\n";
                case "checkpoints" -> "checkpoints at " + time.checkpointCounts() + "\n";
                case "help", "" -> "monitor icount       the instruction count now (use it with `vmtree replay REF --until N`)\n"
                        + "monitor checkpoints  the counts reverse execution restores from\n";
                default -> "unknown monitor command '" + command + "' (monitor help)\n";
            };
        }

        private String verbose(String p) {
            if (p.equals("vCont?")) {
                return "vCont;c;C;s;S";
            }
            if (p.startsWith("vCont;")) {
                // The first action decides (gdb puts the stepped thread first); all harts run together,
                // so a thread id only has to name a hart. Anything malformed is refused, never taken for a plain continue.
                char first = ' ';
                for (String action : p.substring(6).split(";", -1)) {
                    if (!validContinueAction(action)) {
                        return "E01";
                    }
                    first = first == ' ' ? action.charAt(0) : first;
                }
                return first == 'c' || first == 'C' ? stopReply(time.resume(), 5) : stopReply(time.step(), 5);
            }
            if (p.startsWith("vKill")) {
                return "OK";
            }
            return "";                          // vMustReplyEmpty and everything unknown
        }

        /** One vCont action as announced by "vCont?": c, Csig, s or Ssig (sig two hex digits), then optionally :thread. */
        private boolean validContinueAction(String action) {
            if (action.isEmpty() || "cCsS".indexOf(action.charAt(0)) < 0) {
                return false;
            }
            int colon = action.indexOf(':');
            String signal = action.substring(1, colon < 0 ? action.length() : colon);
            boolean withSignal = Character.isUpperCase(action.charAt(0));
            if (withSignal ? !signal.matches("[0-9a-fA-F]{2}") : !signal.isEmpty()) {
                return false;
            }
            if (colon < 0) {
                return true;
            }
            String thread = action.substring(colon + 1);
            if (thread.equals("-1") || thread.equals("0")) {
                return true;
            }
            if (!thread.matches("[0-9a-fA-F]{1,8}")) {
                return false;
            }
            return time.hasHart((int) Rsp.number(thread) - 1);
        }

        private String selectThread(String p) {
            if (p.length() < 2) {
                return "E01";
            }
            String id = p.substring(2);
            if (p.charAt(1) == 'g' && !id.equals("-1") && !id.equals("0")) {
                int hart = (int) Rsp.number(id) - 1;
                if (!time.hasHart(hart)) {
                    return "E01";
                }
                registerHart = hart;
            } else if (p.charAt(1) == 'g') {
                registerHart = time.currentHart();
            }
            return "OK";
        }

        private String threadAlive(String id) {
            return time.hasHart((int) Rsp.number(id) - 1) ? "OK" : "E01";
        }

        private String features(String rest) {
            int colon = rest.indexOf(':');
            if (colon < 0 || !rest.substring(0, colon).equals("target.xml")) {
                return "E00";
            }
            String[] range = rest.substring(colon + 1).split(",");
            if (range.length != 2) {
                return "E01";
            }
            long offset = Rsp.number(range[0]), length = Rsp.number(range[1]);
            if (offset > TARGET_XML.length()) {
                return "E01";
            }
            int end = (int) Math.min(TARGET_XML.length(), offset + Math.min(length, Rsp.MAX_PACKET - 8));
            return (end == TARGET_XML.length() ? "l" : "m") + TARGET_XML.substring((int) offset, end);
        }

        // ---- registers ----------------------------------------------------------------------------

        private Hart hart() {
            return time.machine().hart(registerHart);
        }

        private String readRegisters() {
            StringBuilder s = new StringBuilder(33 * 16);
            for (int i = 0; i < 33; i++) {
                s.append(Rsp.hex64le(register(i)));
            }
            return s.toString();
        }

        private long register(int n) {
            return n == 32 ? hart().pc() : n == 0 ? 0 : hart().reg(n);
        }

        private String readRegister(int n) {
            return n >= 0 && n <= 32 ? Rsp.hex64le(register(n)) : "E45";
        }

        private String writeRegisters(String hex) {
            if (hex.length() < 33 * 16) {
                return "E01";
            }
            long[] v = new long[33];
            for (int i = 0; i < 33; i++) {
                v[i] = Rsp.parse64le(hex, i * 16);
            }
            int hart = registerHart;
            return edit(m -> {
                for (int i = 1; i < 32; i++) {
                    m.hart(hart).setReg(i, v[i]);
                }
                m.hart(hart).setPc(v[32]);
            });
        }

        private String writeRegister(String p) {
            int eq = p.indexOf('=');
            if (eq < 0) {
                return "E01";
            }
            int n = (int) Rsp.number(p.substring(0, eq));
            long v = Rsp.parse64le(p, eq + 1);
            if (n < 0 || n > 32) {
                return "E45";
            }
            int hart = registerHart;
            return edit(m -> {
                if (n == 32) {
                    m.hart(hart).setPc(v);
                } else if (n > 0) {
                    m.hart(hart).setReg(n, v);
                }
            });
        }

        private String edit(Consumer<Machine> change) {
            try {
                time.edit(change);
                return "OK";
            } catch (IllegalStateException e) {
                options.log().accept("refused a change in the past: " + e.getMessage());
                return "E16";
            }
        }

        // ---- memory -------------------------------------------------------------------------------

        private String readMemory(String args) {
            String[] a = args.split(",");
            if (a.length != 2) {
                return "E01";
            }
            long address = Rsp.number(a[0]), length = Rsp.number(a[1]);
            if (length < 0 || length > Rsp.MAX_PACKET / 2 - 8) {
                return "E22";
            }
            byte[] b = new byte[(int) length];
            return Addresses.read(time.machine(), registerHart, address, b) ? Rsp.hex(b) : "E14";
        }

        private String writeMemory(String args, boolean binary) {
            int colon = args.indexOf(':');
            if (colon < 0) {
                return "E01";
            }
            String[] a = args.substring(0, colon).split(",");
            if (a.length != 2) {
                return "E01";
            }
            long address = Rsp.number(a[0]), length = Rsp.number(a[1]);
            String data = args.substring(colon + 1);
            byte[] b = binary ? data.getBytes(StandardCharsets.ISO_8859_1) : Rsp.unhex(data);
            if (length != b.length) {
                return "E01";
            }
            if (b.length == 0) {
                return "OK";
            }
            int hart = registerHart;
            byte[] probe = new byte[b.length];
            if (!Addresses.read(time.machine(), hart, address, probe)) {
                return "E14";
            }
            return edit(m -> Addresses.write(m, hart, address, b));
        }

        // ---- breakpoints and watchpoints ----------------------------------------------------------

        private String breakpoint(boolean insert, String args) {
            String[] a = args.split(",");
            if (a.length < 3) {
                return "E01";
            }
            int type = (int) Rsp.number(a[0]);
            long address = Rsp.number(a[1]);
            int kind = (int) Rsp.number(a[2].contains(";") ? a[2].substring(0, a[2].indexOf(';')) : a[2]);
            switch (type) {
                case 0, 1 -> {
                    if (insert) {
                        time.addBreakpoint(address);
                    } else {
                        time.removeBreakpoint(address);
                    }
                    return "OK";
                }
                case 2 -> {
                    if (kind < 1 || kind > 8) {
                        return "E22";
                    }
                    if (insert) {
                        time.addWatchpoint(address, kind);
                    } else {
                        time.removeWatchpoint(address, kind);
                    }
                    return "OK";
                }
                default -> {
                    return "";              // read and access watchpoints: not supported (gdb falls back)
                }
            }
        }

        // ---- stop replies -------------------------------------------------------------------------

        private String stopReply(TimeTravel.Outcome o, int signal) {
            registerHart = time.currentHart();
            String thread = "thread:" + Integer.toHexString(time.currentHart() + 1) + ";";
            String reply = switch (o.stop()) {
                case EXITED -> String.format("W%02x", o.exitCode() & 0xFF);
                case INTERRUPTED -> "T02" + thread;
                case BREAKPOINT -> String.format("T%02x", signal) + thread + "swbreak:;";
                case WATCHPOINT -> String.format("T%02x", signal) + thread + "watch:" + Long.toHexString(o.watchAddress())
                        + ";";
                case HISTORY_START -> String.format("T%02x", signal) + thread + "replaylog:begin;";
                case STEPPED, IDLE -> String.format("T%02x", signal) + thread;
            };
            options.log().accept("stopped (" + o.stop().name().toLowerCase(java.util.Locale.ROOT) + ") at instruction "
                    + time.now() + ", pc 0x" + Long.toHexString(time.machine().hart(time.currentHart()).pc()));
            return reply;
        }
    }

    /** The target description gdb asks for: RV64 integer registers and pc (GDB's org.gnu.gdb.riscv.cpu). */
    static final String TARGET_XML;

    static {
        StringBuilder s = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                + "<target version=\"1.0\">\n<architecture>riscv:rv64</architecture>\n"
                + "<feature name=\"org.gnu.gdb.riscv.cpu\">\n");
        String[] names = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3", "a4",
            "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
        for (int i = 0; i < 32; i++) {
            String type = i == 1 ? "code_ptr" : i == 2 || i == 8 ? "data_ptr" : "int";
            s.append("  <reg name=\"").append(names[i]).append("\" bitsize=\"64\" type=\"").append(type)
                    .append("\" regnum=\"").append(i).append("\"/>\n");
        }
        s.append("  <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\"/>\n</feature>\n</target>\n");
        TARGET_XML = s.toString();
    }
}
