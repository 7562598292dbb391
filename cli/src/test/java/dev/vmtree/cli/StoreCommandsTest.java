package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The store commands run in-process, as a user types them. */
class StoreCommandsTest {
    @TempDir
    Path dir;

    record Result(int exit, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = VmtreeCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    private Path image(int pages) throws Exception {
        byte[] data = new byte[pages * 4096];
        Random r = new Random(9);
        for (int p = 0; p < pages; p++) {
            if (p % 3 == 1) {
                for (int i = 0; i < 4096; i++) {
                    data[p * 4096 + i] = (byte) r.nextInt();
                }
            } else if (p % 3 == 2) {
                data[p * 4096 + 17] = (byte) p;
            }
        }
        return Files.write(dir.resolve("disk.img"), data);
    }

    @Test
    void putThenCatRoundTripsAFileAndFsckPasses() throws Exception {
        Path img = image(300);
        Path repo = dir.resolve("repo");
        Files.createDirectories(repo);
        assertThat(run("-C", repo.toString(), "init").exit()).isZero();
        Result put = run("-C", repo.toString(), "store", "put", img.toString(), "--branch", "main", "-m", "first");
        assertThat(put.exit()).as(put.err()).isZero();
        assertThat(put.out().trim()).matches("[0-9a-f]{40}");
        Path back = dir.resolve("back.img");
        Result cat = run("-C", repo.toString(), "store", "cat", "main", back.toString());
        assertThat(cat.exit()).as(cat.err()).isZero();
        assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(img));
        Result fsck = run("-C", repo.toString(), "fsck");
        assertThat(fsck.exit()).isZero();
        assertThat(fsck.out()).contains("ok");
        Result gc = run("-C", repo.toString(), "gc", "--expire", "0");
        assertThat(gc.exit()).as(gc.err()).isZero();
        assertThat(gc.out()).contains("kept");
    }

    @Test
    void fsckExitsNonZeroAndNamesTheDamagedChunkAndSnapshot() throws Exception {
        Path img = image(30);
        run("init", dir.resolve("r").toString(), "-C", dir.toString());
        Path repo = dir.resolve("r");
        String id = run("-C", repo.toString(), "store", "put", img.toString(), "--branch", "golden").out().trim();
        Path pack;
        try (Stream<Path> s = Files.list(repo.resolve(".vmtree/chunks"))) {
            pack = s.filter(p -> p.toString().endsWith(".pack")).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
            f.seek(200);
            int v = f.read();
            f.seek(200);
            f.write(v ^ 1);
        }
        Result fsck = run("-C", repo.toString(), "fsck");
        assertThat(fsck.exit()).isEqualTo(1);
        assertThat(fsck.err()).contains("damaged: chunk").contains(id.substring(0, 12)).contains("refs/heads/golden");
    }

    @Test
    void aForeignDirectoryIsAOneLineError() {
        Result r = run("-C", dir.toString(), "fsck");
        assertThat(r.exit()).isEqualTo(4);
        assertThat(r.err()).startsWith("vmtree: not a vmtree repository").hasLineCount(1);
    }

    @Test
    void putRejectsAFileThatIsNotWholePages() throws Exception {
        run("-C", dir.toString(), "init");
        Path odd = Files.write(dir.resolve("odd"), new byte[5000]);
        Result r = run("-C", dir.toString(), "store", "put", odd.toString(), "--branch", "main");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).contains("not a multiple of the page size").hasLineCount(1);
    }

    @Test
    void benchStoreRunsOnASmallImage() {
        Result r = run("bench", "store", "--size", "6", "--runs", "1", "--dir", dir.resolve("bench").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("vmtree median: ingest").contains("read");
    }
}
