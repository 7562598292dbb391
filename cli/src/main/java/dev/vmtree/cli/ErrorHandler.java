package dev.vmtree.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception escaping a command into a one-line message and exit status 4, or the
 * command's own status for a {@link CliException}. Stack traces only with VMTREE_DEBUG=1.
 */
final class ErrorHandler implements IExecutionExceptionHandler {
    static final int EXIT_FAILURE = 1;
    static final int EXIT_CANNOT_RUN = 4;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        if (debug()) {
            ex.printStackTrace(cmd.getErr());
        }
        if (ex instanceof CliException ce) {
            cmd.getErr().println("vmtree: " + ce.getMessage());
            return ce.exitCode();
        }
        String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        cmd.getErr().println("vmtree: " + msg);
        return EXIT_CANNOT_RUN;
    }

    static boolean debug() {
        return "1".equals(System.getenv("VMTREE_DEBUG")) || Boolean.getBoolean("vmtree.debug");
    }
}
