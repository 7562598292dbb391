package dev.vmtree.cli;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A {@code [HOST:]PORT} a server of vmtree listens on ({@code debug --gdb}, {@code disk serve --nbd}):
 * HOST defaults to 127.0.0.1 (never all interfaces unless asked), PORT 0 picks a free port.
 * Malformed values are usage errors. A server bound anywhere but loopback is reachable from the
 * network with neither authentication nor encryption, so its command says so on stderr first.
 */
record Endpoint(InetAddress host, int port) {

    static Endpoint parse(String option, String s) {
        String host = "127.0.0.1";
        String port = s;
        int colon = s.lastIndexOf(':');
        if (colon >= 0) {
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 0 || p > 65535 || host.isEmpty()) {
            throw new CliException(ExitCodes.USAGE, option + ": expected [HOST:]PORT with PORT 0-65535, got '" + s + "'");
        }
        try {
            return new Endpoint(InetAddress.getByName(host), p);
        } catch (UnknownHostException e) {
            throw new CliException(ExitCodes.USAGE, option + ": unknown host '" + host + "'");
        }
    }

    /** Whether others can reach a server bound here: any address but loopback (0.0.0.0 and :: are every interface). */
    boolean reachableFromNetwork() {
        return !host.isLoopbackAddress();
    }

    /**
     * Warns on {@code err}, even under -q, when a server bound here is reachable from the network;
     * {@code exposes} says what anyone who connects gets ("can read this disk").
     */
    void warnIfReachable(PrintWriter err, String option, String server, String exposes) {
        if (reachableFromNetwork()) {
            err.println("vmtree: warning: " + option + " " + host.getHostAddress() + ": the " + server
                    + " is reachable from the network, with no authentication or encryption; anyone who connects "
                    + exposes + " (bind 127.0.0.1, the default, and forward with ssh -L)");
            err.flush();
        }
    }
}
