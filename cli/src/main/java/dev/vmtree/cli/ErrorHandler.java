package dev.vmtree.cli;

import dev.vmtree.core.CorruptDataException;
import dev.vmtree.cow.PageFaultException;
import dev.vmtree.cow.PageUnavailableException;
import dev.vmtree.dom0.ToolstackException;
import dev.vmtree.store.DamagedObjectException;
import dev.vmtree.store.StoreException;
import dev.vmtree.store.fs.IoErrors;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Turns an exception escaping a command into one line on stderr and an exit status (docs/cli.md
 * "Exit status"): a {@link CliException} or {@link ToolstackException} says its own message with its
 * own status (mapped by {@link ExitCodes}); damaged data (the store's, the core's) says so and points
 * at fsck; anything else is a bug in vmtree and says "internal error, please report", never passing
 * for damaged data. Stack traces only with VMTREE_DEBUG=1 or --debug.
 */
final class ErrorHandler implements IExecutionExceptionHandler {
    static final String REPORT = "please report it (VMTREE_DEBUG=1 shows the trace)";

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        Object root = cmd.getCommandSpec().root().userObject();
        if (root instanceof VmtreeCommand v ? v.debug || v.debugFromEnvironment() : debug()) {
            ex.printStackTrace(cmd.getErr());
        }
        int status = switch (ex) {
            case CliException ce -> ce.exitCode();
            case ToolstackException te -> ExitCodes.of(te.kind());
            default -> ExitCodes.CANNOT_RUN;
        };
        cmd.getErr().println("vmtree: " + message(ex));
        if (status == ExitCodes.USAGE) {
            cmd.getErr().println(UsageErrors.usageLine(cmd));
        }
        cmd.getErr().flush();
        return status;
    }

    /** The one line an exception is reported as (after "vmtree: "). */
    static String message(Exception ex) {
        return switch (ex) {
            case CliException ce -> ce.getMessage();
            case ToolstackException te -> te.getMessage();
            case DamagedObjectException d -> d.getMessage() + " (run `vmtree fsck`)";
            case StoreException se -> se.getMessage();
            case PageUnavailableException pu -> pu.getMessage();    // nothing damaged: the remote is away
            case PageFaultException pf -> pf.getMessage() + " (run `vmtree fsck`)";
            case CorruptDataException cd -> "corrupt data: " + cd.getMessage() + " (run `vmtree fsck`)";
            case UncheckedIOException io -> "I/O error: " + IoErrors.reason(io);
            default -> "internal error (" + ex.getClass().getSimpleName()
                    + (ex.getMessage() == null ? "" : ": " + firstLine(ex.getMessage())) + "); " + REPORT;
        };
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** VMTREE_DEBUG=1 in this process's environment, or the vmtree.debug property. */
    static boolean debug() {
        return "1".equals(System.getenv("VMTREE_DEBUG")) || Boolean.getBoolean("vmtree.debug");
    }
}
