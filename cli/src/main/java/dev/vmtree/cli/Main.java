package dev.vmtree.cli;

/** Runs a {@code vmtree} command line in this JVM ({@link Launcher} hands short ones to a daemon first). */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int status;
        try {
            status = run(args);
        } catch (OutOfMemoryError e) {
            // the last resort behind HostMemory's checks: one line, not a stack trace
            System.err.println(outOfMemory());
            status = ExitCodes.CANNOT_RUN;
        }
        System.exit(status);
    }

    /** The one line an OutOfMemoryError is reported as. */
    static String outOfMemory() {
        return "vmtree: out of memory (this JVM's heap is " + (Runtime.getRuntime().maxMemory() >> 20)
                + " MiB); run vmtree with a larger VMTREE_JAVA_OPTS=-Xmx..., or give the machine less memory";
    }

    /** Runs one command line in-process and returns its exit status (tests call this). */
    public static int run(String... args) {
        return VmtreeCommand.commandLine(args).execute(args);
    }
}
