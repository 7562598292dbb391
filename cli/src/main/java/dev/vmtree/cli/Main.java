package dev.vmtree.cli;

/** Entry point of the {@code vmtree} launcher. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int status;
        try {
            status = run(args);
        } catch (OutOfMemoryError e) {
            // the last resort behind HostMemory's checks: one line, not a stack trace
            System.err.println("vmtree: out of memory (this JVM's heap is " + (Runtime.getRuntime().maxMemory() >> 20)
                    + " MiB); run vmtree with a larger VMTREE_JAVA_OPTS=-Xmx..., or give the machine less memory");
            status = ExitCodes.CANNOT_RUN;
        }
        System.exit(status);
    }

    /** Runs one command line in-process and returns its exit status (tests call this). */
    public static int run(String... args) {
        return VmtreeCommand.commandLine().execute(args);
    }
}
