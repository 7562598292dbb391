package dev.vmtree.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception escaping a command into a one-line message and exit status 4, or the
 * command's own status for a {@link CliException} or {@link dev.vmtree.dom0.ToolstackException}
 * (mapped by {@link ExitCodes}). Stack traces only with VMTREE_DEBUG=1.
 */
final class ErrorHandler implements IExecutionExceptionHandler {
    static final int EXIT_FAILURE = 1;
    static final int EXIT_CANNOT_RUN = 4;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        Object root = cmd.getCommandSpec().root().userObject();
        if (debug() || (root instanceof VmtreeCommand v && v.debug)) {
            ex.printStackTrace(cmd.getErr());
        }
        if (ex instanceof CliException ce) {
            cmd.getErr().println("vmtree: " + ce.getMessage());
            return ce.exitCode();
        }
        if (ex instanceof dev.vmtree.dom0.ToolstackException te) {
            cmd.getErr().println("vmtree: " + te.getMessage());
            return ExitCodes.of(te.kind());
        }
        String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        cmd.getErr().println("vmtree: " + msg);
        return EXIT_CANNOT_RUN;
    }

    static boolean debug() {
        return "1".equals(System.getenv("VMTREE_DEBUG")) || Boolean.getBoolean("vmtree.debug");
    }
}
