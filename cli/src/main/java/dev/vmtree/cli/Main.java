package dev.vmtree.cli;

/** Entry point of the {@code vmtree} launcher. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command line in-process and returns its exit status (tests call this). */
    public static int run(String... args) {
        return VmtreeCommand.commandLine().execute(args);
    }
}
