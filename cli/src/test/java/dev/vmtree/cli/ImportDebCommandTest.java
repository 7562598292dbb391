package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.images.TestDebsAccess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vmtree image import-deb stores an image in the repository that image list shows and create
 * --image boots from; a bad or hostile package is one line, changes nothing and writes nowhere.
 */
class ImportDebCommandTest {
    @TempDir
    Path dir;

    @AfterEach
    void forgetHome() {
        System.clearProperty("vmtree.home");
    }

    private static List<String> tree(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.map(p -> root.relativize(p) + (Files.isRegularFile(p) ? " " + p.toFile().length() : "")).sorted().toList();
        }
    }

    @Test
    void importListCreateAndRemove() throws Exception {
        System.setProperty("vmtree.home", dir.resolve("no-installation").toString());
        Dom0Fixture f = new Dom0Fixture(dir).init();
        Path k = Files.write(dir.resolve("linux.deb"), TestDebsAccess.kernelDeb());
        Path b = Files.write(dir.resolve("busybox.deb"), TestDebsAccess.busyboxDeb());
        String out = f.vm("image", "import-deb", k.toString(), b.toString()).ok().out();
        assertThat(out).startsWith("imported image debian: Linux " + TestDebsAccess.RELEASE + " (4096 bytes), initramfs ")
                .endsWith(" bytes with modules crc32c_generic jbd2 mbcache crc16 ext4 virtio_blk virtio_rng virtio_mmio\n");
        assertThat(f.vm("image", "list").ok().out()).isEqualTo(String.format("%-10s %s%n", "debian",
                "Debian Linux " + TestDebsAccess.RELEASE + " with busybox 1.36.1 (initramfs; /dev/vda at /mnt)"));
        assertThat(f.vm("--json", "image", "list").ok().out()).contains("\"name\":\"debian\"").contains("\"kind\":\"repository\"");
        f.vm("image", "import-deb", "--name", "other", k.toString(), b.toString()).ok();
        assertThat(f.vm("image", "list").ok().out()).contains("debian").contains("other");
        // the kernel is stored once; each initramfs names its image (prompt, hostname)
        assertThat(Files.list(f.repo.resolve(".vmtree/images/.blobs")).count()).isEqualTo(3);
        for (Path p : List.of(f.repo.resolve(".vmtree/images"), f.repo.resolve(".vmtree/images/.blobs"))) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
                    .isEqualTo("rwx------");
        }
        try (Stream<Path> s = Files.walk(f.repo.resolve(".vmtree/images"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
                        .as(p.toString()).isEqualTo("rw-------");
            }
        }

        String json = f.vm("--json", "create", "vm", "--image", "debian").ok().out();
        assertThat(Dom0Fixture.field(json, "instance")).isEqualTo("vm");
        assertThat(f.vm("show").ok().out()).contains("256 MiB");

        assertThat(f.vm("image", "remove", "other").ok().out()).isEqualTo("removed image other\n");
        assertThat(f.vm("image", "list").ok().out()).doesNotContain("other");
        Dom0Fixture.Result gone = f.vm("image", "remove", "other");
        assertThat(gone.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(gone.err()).isEqualTo("vmtree: no image 'other' in this repository\n");
        assertThat(Files.list(f.repo.resolve(".vmtree/images/.blobs")).count()).isEqualTo(2); // debian still needs both
    }

    @Test
    void aBadPackageChangesNothingAndWritesNowhere() throws Exception {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        Path k = Files.write(dir.resolve("linux.deb"), TestDebsAccess.kernelDeb());
        Path b = Files.write(dir.resolve("busybox.deb"), TestDebsAccess.busyboxDeb());
        f.vm("image", "import-deb", k.toString(), b.toString()).ok();
        Path evil = Files.write(dir.resolve("evil.deb"), TestDebsAccess.deb("../../../../tmp/vmtree-owned", "x"));
        Path text = Files.writeString(dir.resolve("text.deb"), "not a package\n");
        Path arm = Files.write(dir.resolve("arm.deb"), TestDebsAccess.armKernelDeb());
        List<String> before = tree(dir);
        for (Path bad : List.of(evil, text, arm)) {
            Dom0Fixture.Result r = f.vm("image", "import-deb", bad.toString(), b.toString());
            assertThat(r.exit()).as(bad.toString()).isEqualTo(ExitCodes.CANNOT_RUN);
            assertThat(r.err()).startsWith("vmtree: " + bad + ": ").endsWith("\n");
            assertThat(r.err().lines().count()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(tree(dir)).isEqualTo(before);
        }
        assertThat(Path.of("/tmp/vmtree-owned")).doesNotExist();
        assertThat(f.vm("image", "list").ok().out()).contains("debian");
        f.vm("create", "vm", "--image", "debian").ok();
    }

    @Test
    void aDamagedImageSaysSoAndHidesNothingElse() throws Exception {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        Path k = Files.write(dir.resolve("linux.deb"), TestDebsAccess.kernelDeb());
        Path b = Files.write(dir.resolve("busybox.deb"), TestDebsAccess.busyboxDeb());
        f.vm("image", "import-deb", k.toString(), b.toString()).ok();
        f.vm("image", "import-deb", "--name", "two", k.toString(), b.toString()).ok();
        Path record = f.repo.resolve(".vmtree/images/two");
        Files.writeString(record, Files.readString(record).replace("memory 268435456", "memory 268435457"));
        Dom0Fixture.Result list = f.vm("image", "list").ok();
        assertThat(list.out()).contains("debian").doesNotContain("two ");
        assertThat(list.err()).isEqualTo("vmtree: image 'two' in the repository is damaged: its record is not a vmtree"
                + " image record or fails its checksum (import it again with `vmtree image import-deb`)\n");
        Dom0Fixture.Result create = f.vm("create", "vm", "--image", "two");
        assertThat(create.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(create.err()).startsWith("vmtree: image 'two' in the repository is damaged");
        f.vm("create", "vm", "--image", "debian").ok();
        // a blob whose bytes changed is caught before it boots
        f.vm("image", "import-deb", "--name", "two", k.toString(), b.toString()).ok();
        try (var s = Files.list(f.repo.resolve(".vmtree/images/.blobs"))) {
            for (Path blob : s.toList()) {
                byte[] bytes = Files.readAllBytes(blob);
                bytes[bytes.length / 2] ^= 1;
                Files.write(blob, bytes);
            }
        }
        Dom0Fixture.Result flipped = f.vm("create", "vm2", "--image", "two");
        assertThat(flipped.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(flipped.err()).contains("does not hold what the record names");
        assertThat(f.vm("branch").ok().out()).doesNotContain("vm2");
    }

    @Test
    void namesAreChecked() throws Exception {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        Path b = Files.write(dir.resolve("busybox.deb"), TestDebsAccess.busyboxDeb());
        Dom0Fixture.Result r = f.vm("image", "import-deb", "--name", "../x", b.toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).startsWith("vmtree: bad image name '../x'");
        Dom0Fixture.Result k = f.vm("image", "import-deb", "--name", "kvshell", b.toString());
        assertThat(k.err()).startsWith("vmtree: 'kvshell' is a built-in image's name; choose another with --name\n");
        Dom0Fixture.Result missing = f.vm("image", "import-deb", dir.resolve("nope.deb").toString());
        assertThat(missing.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(missing.err()).isEqualTo("vmtree: cannot read " + dir.resolve("nope.deb") + ": No such file\n");
    }
}
