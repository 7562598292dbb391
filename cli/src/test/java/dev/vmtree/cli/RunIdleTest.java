package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 7: a guest that always keeps a timer armed (as an idle Linux does) never waits
 * with nothing armed, so only the idle rule ends {@code run --input}: once the input is over and
 * the guest has been silent for {@code --idle} of virtual time. Decided from instruction counts.
 */
class RunIdleTest {
    @TempDir
    Path dir;

    Dom0Fixture f;
    Path ticker;

    @BeforeEach
    void setUp() throws Exception {
        f = new Dom0Fixture(dir).init();
        f.vm("config", "user.name", "T").ok();
        f.vm("config", "user.email", "t@example.org").ok();
        ticker = Files.write(dir.resolve("ticker.bin"), RawPrograms.echoWithTicker());
        f.vm("create", "tick", "--kernel", ticker.toString(), "--memory", "4M").ok();
    }

    static long instructions(String err) {
        Matcher m = Pattern.compile("after ([0-9,]+) instructions").matcher(err);
        assertThat(m.find()).as(err).isTrue();
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    @Test
    void runWithInputSuspendsOnceTheInputIsOverAndTheGuestIsQuietForTheIdleTime() throws Exception {
        Path in = Files.writeString(dir.resolve("in.txt"), "hello\n");
        // 10 s of virtual time: before, the budget was the only way out (status 3)
        Dom0Fixture.Result r = f.vm("run", "--input", in.toString(), "--max-instructions", "1000000000");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("hello\n");
        assertThat(r.err()).contains("the input ended and the guest printed nothing for 2s of virtual time");
        long n = instructions(r.err());
        // 2 s of the 10 MHz timebase at 10 instructions a tick, after the last byte came and went
        assertThat(n).isBetween(200_000_000L, 210_000_000L);
    }

    @Test
    void theIdleTimeIsAnOptionAndTheStopPointIsTheSameOnEveryRun() throws Exception {
        Path in = Files.writeString(dir.resolve("in.txt"), "abc");
        f.vm("commit", "-m", "booted").ok();
        f.vm("instance", "add", "second", "tick").ok();
        Dom0Fixture.Result a = f.vm("run", "--input", in.toString(), "--idle", "500ms", "--max-instructions",
                "1000000000");
        Dom0Fixture.Result b = f.vm("run", "-i", "second", "--input", in.toString(), "--idle", "500ms",
                "--max-instructions", "1000000000");
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(a.err()).contains("printed nothing for 500ms of virtual time");
        assertThat(instructions(a.err())).isBetween(50_000_000L, 55_000_000L);
        assertThat(instructions(b.err())).isEqualTo(instructions(a.err()));
        // a second instance has its own generation ID (clones stay unique), so compare one instance's two runs
        String sa = Dom0Fixture.field(f.vm("--json", "status").ok().out(), "workingState");
        f.vm("checkout", "--discard", "tick").ok();
        Dom0Fixture.Result again = f.vm("run", "--input", in.toString(), "--idle", "500ms", "--max-instructions",
                "1000000000");
        assertThat(instructions(again.err())).isEqualTo(instructions(a.err()));
        String sb = Dom0Fixture.field(f.vm("--json", "status").ok().out(), "workingState");
        assertThat(sb).as("same snapshot, same input, same idle rule: same state").isEqualTo(sa);
    }

    @Test
    void withoutInputTheIdleRuleDoesNotApplyAndABadDurationIsAUsageError() throws Exception {
        Dom0Fixture.Result bad = f.vm("run", "--input", "-", "--idle", "soon");
        assertThat(bad.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("bad duration 'soon'");
    }
}
