package dev.vmtree.cli;

import dev.vmtree.dom0.Toolstack;
import dev.vmtree.dom0.service.Dom0Paths;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vmtree logs}: a background instance's console history. */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = {"Print the console output of an instance's background runs (`vmtree start`), oldest first: the"
                + " last 1 MiB or more (Dom0 keeps the current history file and one older one, under"
                + " .vmtree/dom0/console/). Foreground runs (`vmtree run`) print to their terminal and are not kept.",
            "-f follows: waits for more output and prints it as it comes, until the instance's background run ends"
                + " (or Ctrl-C)."},
        footer = {"", "Examples:", "  vmtree logs", "  vmtree logs -i web -f"})
public final class LogsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "-i", paramLabel = "INSTANCE", description = "The instance (default: the current one).")
    String instance;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new output while the instance runs in the background.")
    boolean follow;

    @Override
    public Integer call() throws IOException, InterruptedException {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            String name = Background.instanceName(ts, instance);
            Dom0Paths paths = Dom0Paths.of(Background.top(ts));
            Path current = paths.console(name);
            Path older = Dom0Paths.older(current);
            Utf8Stream out = new Utf8Stream(Dom0Cli.out(spec));
            copy(older, 0, out);
            long pos = copy(current, 0, out);
            Object key = fileKey(current);
            while (follow) {
                boolean running = Background.runsInBackground(ts, name);
                Object now = fileKey(current);
                if (now != null && !now.equals(key)) {
                    // Dom0 started a new history file (the old one became FILE.1): finish the old, then the new
                    copy(older, pos, out);
                    pos = 0;
                    key = now;
                }
                pos = copy(current, pos, out);
                if (!running) {
                    break;
                }
                Thread.sleep(100);
            }
            out.finish();
            return ExitCodes.OK;
        }
    }

    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** Prints {@code file} from byte {@code from}; returns where it ended (0 when there is no file). */
    private static long copy(Path file, long from, Utf8Stream out) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.position(from);
            InputStream in = Channels.newInputStream(ch);
            byte[] buf = new byte[65536];
            int n;
            long pos = from;
            while ((n = in.read(buf)) > 0) {
                out.write(java.util.Arrays.copyOf(buf, n));
                pos += n;
            }
            return pos;
        } catch (NoSuchFileException e) {
            return 0;
        }
    }
}
