package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.store.SnapshotContent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gc never deletes what fsck cannot account for, fsck fails on it with the file and the fix, and
 * what is read from meta.git is checked against its id: through the real commands.
 */
class StoreIntegrityCommandsTest {
    @TempDir
    Path dir;

    Dom0Fixture f;

    @BeforeEach
    void machineWithUncommittedState() {
        System.setProperty("vmtree.home", Path.of(System.getProperty("vmtree.project.root")).toString());
        f = new Dom0Fixture(dir).init();
        f.vm("create", "kv", "--image", "kvshell", "--memory", "16M").ok();
        f.vm("mem", "write", "0x80001000", "deadbeef").ok();
    }

    @AfterEach
    void forgetHome() {
        System.clearProperty("vmtree.home");
    }

    private Path store(String name) {
        return f.repo.resolve(".vmtree").resolve(name);
    }

    private void assertWorkingStateSurvives() {
        assertThat(f.vm("mem", "read", "0x80001000", "4").ok().out()).contains("dead beef");
    }

    @Test
    void aMissingRootsFileFailsFsckStopsGcAndIsRebuiltFromTheRecords() throws Exception {
        Files.delete(store("roots"));
        Dom0Fixture.Result r = f.vm("fsck");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("damaged: " + store("roots") + ": missing").contains("vmtree fsck --rebuild-roots");
        r = f.vm("gc", "--expire", "0");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).startsWith("vmtree: gc stopped, nothing deleted: " + store("roots")).hasLineCount(1);
        assertWorkingStateSurvives();
        // a write does not silently start a roots file naming this instance alone
        r = f.vm("mem", "write", "0x80001004", "01");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).contains(store("roots") + " is missing");
        r = f.vm("run", "--max-instructions", "1000"); // refused before it runs, not when it saves
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).isEqualTo("vmtree: damaged repository: " + store("roots") + " is missing (run `vmtree fsck`)\n");
        assertThat(store("roots")).doesNotExist();

        assertThat(f.vm("fsck", "--rebuild-roots").ok().out()).contains("rebuilt").contains("1 instance records")
                .contains("1 instances: ok");
        f.vm("gc", "--expire", "0").ok();
        assertWorkingStateSurvives();
        f.vm("fsck").ok();
    }

    @Test
    void aDamagedRootsFileIsKeptAsideWhenRebuilt() throws Exception {
        Files.writeString(store("roots"), "x\n", java.nio.file.StandardOpenOption.APPEND);
        Dom0Fixture.Result r = f.vm("fsck");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(store("roots").toString()).contains("--rebuild-roots").hasLineCount(1);
        assertThat(f.vm("gc").exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        f.vm("fsck", "--rebuild-roots").ok();
        assertThat(Files.readString(store("roots.damaged"))).endsWith("x\n");
        f.vm("gc", "--expire", "0").ok();
        assertWorkingStateSurvives();
    }

    @Test
    void gcStopsWhileAnInstanceRecordHasNoGcRoot() throws Exception {
        f.vm("instance", "add", "other", "kv").ok();
        try (var repo = dev.vmtree.store.Repository.open(f.repo); var tx = repo.beginWrite()) {
            tx.unregisterRoot("instance/kv");
        }
        Dom0Fixture.Result r = f.vm("gc", "--expire", "0");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).startsWith("vmtree: gc stopped, nothing deleted: instance kv: no gc root registered")
                .contains("--rebuild-roots").hasLineCount(1);
        assertWorkingStateSurvives();
        f.vm("fsck", "--rebuild-roots").ok();
        assertThat(Files.readString(store("roots"))).contains("instance/kv ").contains("instance/other ");
        f.vm("gc", "--expire", "0").ok();
        assertWorkingStateSurvives();
    }

    @Test
    void aGarbageBranchRefFailsFsckAndGcKeepsItsSnapshots() throws Exception {
        f.vm("commit", "-m", "only on keep").ok();
        f.vm("branch", "keep").ok();
        String head = Dom0Fixture.field(f.vm("--json", "status").ok().out(), "head");
        f.vm("rollback", "kv~1").ok(); // the commit is on keep alone now (and in kv's reflog)
        Path ref = f.repo.resolve(".vmtree/meta.git/refs/heads/keep");
        Files.writeString(ref, "garbage\n");
        Dom0Fixture.Result r = f.vm("fsck");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("damaged: " + ref + ": not a valid ref (\"garbage\")")
                .contains("its reflog last names " + head).contains("or delete it");
        r = f.vm("gc", "--expire", "0");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).startsWith("vmtree: gc stopped, nothing deleted: " + ref).hasLineCount(1);
        Files.writeString(ref, head + "\n"); // the fix the message names
        f.vm("fsck").ok();
        f.vm("gc", "--expire", "0").ok();
        assertThat(f.vm("mem", "read", "keep", "0x80001000", "4").ok().out()).contains("dead beef");
    }

    @Test
    void aBrokenReflogFailsFsckWithTheLineAndEveryReaderSaysWhichFile() throws Exception {
        Path log = f.repo.resolve(".vmtree/meta.git/logs/refs/heads/kv");
        Files.writeString(log, "garbage line\n", java.nio.file.StandardOpenOption.APPEND);
        Dom0Fixture.Result r = f.vm("fsck");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("damaged: " + log + ": line 2 is not a reflog entry").contains("delete that line");
        r = f.vm("gc");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).startsWith("vmtree: gc stopped, nothing deleted: " + log).hasLineCount(1);
        r = f.vm("reflog", "kv");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).startsWith("vmtree: damaged reflog " + log).doesNotContain("internal error");
        assertWorkingStateSurvives();
    }

    @Test
    void aBrokenConfigurationFailsFsck() throws Exception {
        Files.writeString(store("config"), "[broken\n");
        Dom0Fixture.Result r = f.vm("fsck");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("damaged: damaged configuration file " + store("config"));
        assertThat(f.vm("--json", "fsck").out()).contains("\"configuration\":[\"damaged configuration file")
                .contains("\"allOk\":false");
        Files.writeString(store("config"), "[gc]\n\treflogExpire = soon\n");
        r = f.vm("fsck");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("gc.reflogExpire = 'soon' is refused");
        assertThat(f.vm("gc").exit()).isNotZero(); // what fsck warned about
    }

    @Test
    void locksThatAreDirectoriesFailFsck() throws Exception {
        Files.delete(store("lock"));
        Files.createDirectory(store("lock"));
        Dom0Fixture.Result r = f.vm("fsck");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("damaged: " + store("lock") + ": is a directory").contains("remove it");
        Files.delete(store("lock"));
        f.vm("fsck").ok();
        Path instanceLock = store("instances").resolve("kv.lock");
        Files.deleteIfExists(instanceLock);
        Files.createDirectory(instanceLock);
        r = f.vm("fsck");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("damaged: " + instanceLock + " is a directory");
    }

    @Test
    void aMissingChunksDirectoryIsNamedWithWhatToDo() throws Exception {
        try (var s = Files.list(store("chunks"))) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(store("chunks"));
        for (String cmd : new String[] {"status", "fsck", "gc"}) {
            Dom0Fixture.Result r = f.vm(cmd);
            assertThat(r.exit()).as(cmd).isEqualTo(ExitCodes.CANNOT_RUN);
            assertThat(r.err()).as(cmd).isEqualTo("vmtree: damaged repository: " + store("chunks") + " is missing (it holds"
                    + " every chunk); restore it from a backup, or recreate it empty (mkdir) and run `vmtree fsck` to see"
                    + " what is lost\n");
        }
    }

    private ObjectId imagesBlob(String rev) throws Exception {
        try (var git = new FileRepositoryBuilder().setGitDir(store("meta.git").toFile()).setBare().build();
             RevWalk rw = new RevWalk(git)) {
            var c = rw.parseCommit(git.resolve(rev));
            try (TreeWalk tw = TreeWalk.forPath(git, SnapshotContent.IMAGES_FILE, c.getTree())) {
                return tw.getObjectId(0);
            }
        }
    }

    private Path loose(ObjectId id) {
        return store("meta.git/objects").resolve(id.name().substring(0, 2)).resolve(id.name().substring(2));
    }

    @Test
    void anImagesBlobSwappedForItsParentsIsCorruptDataNotTheParentsMachine() throws Exception {
        f.vm("commit", "-m", "deadbeef").ok();
        ObjectId head = imagesBlob("refs/heads/kv");
        loose(head).toFile().setWritable(true);
        Files.copy(loose(imagesBlob("refs/heads/kv~1")), loose(head), StandardCopyOption.REPLACE_EXISTING);
        // the instance stands on the damaged snapshot (clean): running it reads that snapshot
        for (String[] cmd : new String[][] {{"run", "--max-instructions", "1000"}, {"show"}, {"mem", "read", "0x80001000", "4"}}) {
            Dom0Fixture.Result r = f.vm(cmd);
            assertThat(r.exit()).as(String.join(" ", cmd)).isEqualTo(ExitCodes.CANNOT_RUN);
            assertThat(r.err()).as(String.join(" ", cmd)).contains("git object " + head.name()).hasLineCount(1);
        }
        f.vm("checkout", "--discard", "kv~1").ok(); // the parent still reads
        for (String[] cmd : new String[][] {{"show", "kv"}, {"mem", "read", "kv", "0x80001000", "4"}, {"checkout", "kv"},
                {"disk", "ls", "kv"}}) {
            Dom0Fixture.Result r = f.vm(cmd);
            assertThat(r.exit()).as(String.join(" ", cmd)).isEqualTo(ExitCodes.CANNOT_RUN);
            assertThat(r.err()).as(String.join(" ", cmd)).startsWith("vmtree: ").contains("git object " + head.name())
                    .contains("does not match its id").contains("vmtree fsck").hasLineCount(1);
        }
        Dom0Fixture.Result r = f.vm("fsck");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("git object " + head.name() + ": content does not match its id");
    }

    @Test
    void aCommitSwappedForItsParentIsCorruptDataInLogAndRevisions() throws Exception {
        f.vm("commit", "-m", "deadbeef").ok();
        String head = Dom0Fixture.field(f.vm("--json", "status").ok().out(), "head");
        String parent = f.vm("log", "--oneline").ok().out().lines().toList().getLast().substring(0, 12);
        ObjectId headId = ObjectId.fromString(head);
        loose(headId).toFile().setWritable(true);
        try (var git = new FileRepositoryBuilder().setGitDir(store("meta.git").toFile()).setBare().build()) {
            ObjectId p = git.resolve(head + "~1");
            assertThat(p.name()).startsWith(parent);
            Files.copy(loose(p), loose(headId), StandardCopyOption.REPLACE_EXISTING);
        }
        for (String[] cmd : new String[][] {{"log"}, {"show", "kv~1"}, {"show", "kv"}}) {
            Dom0Fixture.Result r = f.vm(cmd);
            assertThat(r.exit()).as(String.join(" ", cmd)).isEqualTo(ExitCodes.CANNOT_RUN);
            assertThat(r.err()).as(String.join(" ", cmd)).contains("git object " + head).contains("does not match its id")
                    .hasLineCount(1);
        }
    }
}
