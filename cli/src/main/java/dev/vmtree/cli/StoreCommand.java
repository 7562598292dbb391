package dev.vmtree.cli;

import dev.vmtree.store.PageTreeRoot;
import dev.vmtree.store.Repository;
import dev.vmtree.store.Snapshot;
import dev.vmtree.store.SnapshotContent;
import dev.vmtree.store.SnapshotId;
import dev.vmtree.store.WriteTransaction;
import dev.vmtree.store.fs.IoErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree store}: plumbing over the snapshot store (raw files in, raw files out). */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = "Plumbing: put a raw file into the store as an image and commit it, or write one back.",
        subcommands = {StoreCommand.Put.class, StoreCommand.Cat.class})
public final class StoreCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code vmtree store put FILE --branch NAME}. */
    @Command(name = "put", mixinStandardHelpOptions = true,
            description = "Store FILE as an image (page tree) and commit it on top of --branch; prints the snapshot id.")
    public static final class Put implements Runnable, JsonOutput {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "A raw image whose size is a multiple of the page size.")
        Path file;

        @Option(names = "--branch", required = true, paramLabel = "NAME", description = "Branch to commit on (created if absent).")
        String branch;

        @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "Commit message (default: \"put FILE\").")
        String message;

        @Option(names = "--image", paramLabel = "NAME", defaultValue = "disk", description = "Image name in the snapshot. Default: ${DEFAULT-VALUE}.")
        String image;

        @Option(names = "--page-size", paramLabel = "BYTES", defaultValue = "4096", description = "Page size, a power of two. Default: ${DEFAULT-VALUE}.")
        int pageSize;

        @Override
        public void run() {
            Path base = StoreCli.workingDirectory(spec);
            Path in = base.resolve(file);
            if (Files.exists(in) && !Files.isRegularFile(in)) {
                // a device or FIFO has no size to check (/dev/zero would read as empty, a FIFO blocks)
                throw new CliException(ExitCodes.CANNOT_RUN, "cannot read " + in + ": " + (Files.isDirectory(in)
                        ? "Is a directory" : "not a regular file (a device, pipe or socket has no size to check)"));
            }
            try (Repository repo = Repository.open(base); RawFilePages pages = new RawFilePages(in, pageSize)) {
                if (Integer.bitCount(pageSize) != 1) {
                    throw new CliException(2, "--page-size must be a power of two: " + pageSize);
                }
                if (pages.size() % pageSize != 0) {
                    long up = (pages.size() + pageSize - 1) / pageSize * pageSize;
                    throw new CliException(ExitCodes.CANNOT_RUN, in + " is " + pages.size() + " bytes, not a multiple of"
                            + " the page size " + pageSize + " (--page-size); pad it with `truncate -s " + up + " " + in + "`");
                }
                SnapshotContent.checkImageName(image);
                try (WriteTransaction tx = repo.beginWrite(StoreCli.LOCK_TIMEOUT,
                        m -> spec.commandLine().getErr().println("vmtree: " + m))) {
                    PageTreeRoot root = tx.buildTree(pages.size(), pageSize, pages);
                    var res = tx.commit(branch, SnapshotContent.ofImages(Map.of(image, root)),
                            message == null ? "put " + file.getFileName() : message);
                    if (!res.ref().ok()) {
                        throw new CliException(1, "branch " + branch + " moved meanwhile (" + res.ref().status()
                                + "); snapshot " + res.snapshot() + " was written but not attached");
                    }
                    if (Dom0Cli.json(spec)) {
                        Dom0Cli.printJson(spec, new Json().beginObject().field("snapshot", res.snapshot().hex())
                                .field("branch", branch).field("image", image).field("sizeBytes", pages.size())
                                .field("pageSize", pageSize).endObject());
                    } else {
                        spec.commandLine().getOut().println(res.snapshot());
                    }
                }
            } catch (IOException e) {
                throw new CliException(ExitCodes.CANNOT_RUN, "cannot read " + in + ": " + IoErrors.reason(e), e);
            } catch (IllegalArgumentException e) {
                throw new CliException(2, e.getMessage(), e);
            }
        }
    }

    /** {@code vmtree store cat REF OUT}. */
    @Command(name = "cat", mixinStandardHelpOptions = true,
            description = "Write an image of snapshot REF (branch, tag or id) to OUT, verifying every page.")
    public static final class Cat implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "REF", description = "Branch, tag or snapshot id.")
        String ref;

        @Parameters(index = "1", paramLabel = "OUT", description = "File to write (replaced).")
        Path out;

        @Option(names = "--image", paramLabel = "NAME", description = "Image to write; needed when the snapshot has several.")
        String image;

        @Override
        public void run() {
            Path base = StoreCli.workingDirectory(spec);
            Path target = base.resolve(out);
            try (Repository repo = Repository.open(base)) {
                SnapshotId id = repo.resolve(ref).orElseThrow(() -> new CliException(1, "unknown snapshot or ref: " + ref));
                Snapshot s = repo.readSnapshot(id);
                Map<String, PageTreeRoot> images = s.content().images();
                String name = image;
                if (name == null) {
                    if (images.size() != 1) {
                        throw new CliException(1, "snapshot " + id.shortHex() + " has images " + images.keySet() + "; pick one with --image");
                    }
                    name = images.keySet().iterator().next();
                }
                PageTreeRoot root = images.get(name);
                if (root == null) {
                    throw new CliException(1, "snapshot " + id.shortHex() + " has no image '" + name + "' (it has " + images.keySet() + ")");
                }
                try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    ch.truncate(0);
                    if (root.size() > 0) {
                        ch.write(ByteBuffer.allocate(1), root.size() - 1); // sparse: zero pages are holes
                    }
                    repo.pageTree(root).readAll((i, page) -> {
                        try {
                            ByteBuffer bb = ByteBuffer.wrap(page);
                            long pos = i * root.pageSize();
                            while (bb.hasRemaining()) {
                                pos += ch.write(bb, pos);
                            }
                        } catch (IOException e) {
                            throw new CliException(ExitCodes.CANNOT_RUN, "cannot write " + target + ": " + IoErrors.reason(e), e);
                        }
                    });
                } catch (IOException e) {
                    throw new CliException(ExitCodes.CANNOT_RUN, "cannot write " + target + ": " + IoErrors.reason(e), e);
                }
            }
        }
    }
}
