package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.loader.ElfLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vmtree bisect} finds the planted bug of guests/src/planted.c: the one store that writes the
 * canary after the accounts. Its run is cut into eight snapshots; the answer is checked against the
 * ELF's symbols and by replaying to the moments just before and at it.
 */
@Tag("engines")
class BisectCommandTest {
    @TempDir
    static Path dir;

    static Dom0Fixture f;
    static long canary, post, main;
    static final long CHUNK = 800_000;

    @BeforeAll
    static void plantedRunInEightSnapshots() throws Exception {
        Path elf = Path.of(System.getProperty("vmtree.project.root")).resolve("guests/bin/planted.elf");
        byte[] bytes = Files.readAllBytes(elf);
        canary = ElfLoader.symbol(bytes, "book").orElseThrow() + 64 * 8;
        post = ElfLoader.symbol(bytes, "post").orElseThrow();
        main = ElfLoader.symbol(bytes, "main").orElseThrow();
        f = new Dom0Fixture(dir).init();
        f.vm("create", "p", "--kernel", elf.toString(), "--memory", "16M").ok();
        // input from an empty file: without --input, run reads this JVM's standard input, which in a
        // surefire fork is surefire's own command channel
        Path none = Files.createFile(dir.resolve("no-input"));
        for (int i = 1; i <= 7; i++) {
            assertThat(f.vm("run", "--input", none.toString(), "--max-instructions", Long.toString(CHUNK)).exit())
                    .isEqualTo(ExitCodes.BUDGET);
            f.vm("commit", "-m", "chunk " + i).ok();
        }
        assertThat(f.vm("run", "--input", none.toString()).ok().out()).contains("planted: total 44999798663, canary 201337");
        f.vm("commit", "-m", "to the end").ok();
    }

    @AfterAll
    static void forget() {
        System.clearProperty("vmtree.config.home");
    }

    private static long canaryAt(String instance) {
        String hex = Dom0Fixture.field(f.vm("--json", "mem", "read", "-i", instance, ".", "0x" + Long.toHexString(canary), "8").ok().out(),
                "hex");
        return Long.parseUnsignedLong(hex.substring(14, 16) + hex.substring(12, 14) + hex.substring(10, 12)
                + hex.substring(8, 10) + hex.substring(6, 8) + hex.substring(4, 6) + hex.substring(2, 4)
                + hex.substring(0, 2), 16);
    }

    @Test
    void findsTheStoreThatWritesTheCanary() {
        String condition = "mem64 0x" + Long.toHexString(canary) + " != 0";
        Dom0Fixture.Result text = f.vm("bisect", "p~8", "p", "--run", condition).ok();
        assertThat(text.out()).contains("first snapshot where it holds").contains("first moment: instruction");

        String json = f.vm("--json", "bisect", "p~8", "p", "--run", condition).ok().out();
        String first = Dom0Fixture.field(json, "first");
        long instruction = Long.parseLong(Dom0Fixture.field(json, "instruction"));
        long pc = Long.parseLong(Dom0Fixture.field(json, "pc"));
        assertThat(pc).as("the store is in post()").isBetween(post, main - 1);
        // the snapshot found is the first whose state has the canary written
        String firstShow = f.vm("--json", "show", first).ok().out();
        long end = Long.parseLong(Dom0Fixture.field(firstShow, "instructions"));
        assertThat(instruction).isLessThanOrEqualTo(end).isGreaterThan(end - CHUNK);

        f.vm("replay", first, "--until", Long.toString(instruction - 1), "--to-instance", "before").ok();
        f.vm("replay", first, "--until", Long.toString(instruction), "--to-instance", "at").ok();
        assertThat(canaryAt("before")).isZero();
        assertThat(canaryAt("at")).isEqualTo(201337);
    }

    @Test
    void followsConsoleOutputThroughReplays() {
        String json = f.vm("--json", "bisect", "p~8", "p", "--run", "console contains 'canary 201337'").ok().out();
        String p = Dom0Fixture.field(f.vm("--json", "show", "p").ok().out(), "snapshot");
        assertThat(Dom0Fixture.field(json, "first")).isEqualTo(p);
        long instruction = Long.parseLong(Dom0Fixture.field(json, "instruction"));
        assertThat(instruction).isGreaterThan(7 * CHUNK);
    }

    @Test
    void badSearchesAreOneLineErrors() {
        assertThat(f.vm("bisect", "p~8", "p", "--run", "memory is bad").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(f.vm("bisect", "p~8", "p", "--run", "reg nosuch == 1").exit()).isEqualTo(ExitCodes.USAGE);
        Dom0Fixture.Result r = f.vm("bisect", "p", "p~8", "--run", "mem64 0x" + Long.toHexString(canary) + " != 0");
        assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
        assertThat(r.err()).contains("is not an ancestor");
        r = f.vm("bisect", "p~8", "p", "--run", "mem64 0x" + Long.toHexString(canary) + " == 0");
        assertThat(r.err()).contains("already holds");
        r = f.vm("bisect", "p~8", "p", "--run", "console contains 'never printed'");
        assertThat(r.err()).contains("never printed");
        assertThat(r.err().lines().count()).isEqualTo(1);
    }
}
