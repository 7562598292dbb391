package dev.vmtree.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A {@code [HOST:]PORT} a server of vmtree listens on ({@code debug --gdb}, {@code disk serve --nbd}):
 * HOST defaults to 127.0.0.1 (never all interfaces unless asked), PORT 0 picks a free port.
 * Malformed values are usage errors.
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
}
