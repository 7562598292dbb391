package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed guest binaries are exactly what their sources build to: {@code make -C guests
 * O=dir} with Debian's riscv64-unknown-elf toolchain reproduces guests/bin byte for byte.
 */
class GuestsReproducibleTest {

    @Test
    void rebuildMatchesCommittedBinaries(@TempDir Path out) throws Exception {
        Path make = OutsideTools.require("make");
        OutsideTools.require("riscv64-unknown-elf-gcc");
        Path guests = OutsideTools.projectRoot().resolve("guests");
        OutsideTools.Run build = OutsideTools.run(List.of(make.toString(), "-s", "-C", guests.toString(),
                "O=" + out), null, 300);
        assertThat(build.exitCode()).as("make: %s%s", build.out(), build.err()).isZero();
        Set<String> built = elfs(out);
        assertThat(built).isEqualTo(elfs(guests.resolve("bin")));
        for (String name : built) {
            assertThat(Files.readAllBytes(out.resolve(name))).as(name)
                    .isEqualTo(Files.readAllBytes(guests.resolve("bin").resolve(name)));
        }
    }

    private static Set<String> elfs(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return new TreeSet<>(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".elf")).toList());
        }
    }
}
