package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every committed guest program (guests/bin, see guests/README.md) through
 * {@code vmtree exec} in-process and checks its exit status and console verdict. The programs are
 * self-checking and were validated on QEMU, so a failure here is a fault of the core.
 */
@Tag("engines")
class GuestProgramsTest {

    /** One program: extra exec options, expected exit status and a line its console must contain. */
    record Guest(String name, List<String> options, int exitCode, String line) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Budget that stops the benchmarks early: they must have started, and then run out (status 3). */
    private static final String BENCH_BUDGET = "20000000";

    static List<Guest> guests() {
        List<Guest> guests = new ArrayList<>();
        guests.add(new Guest("hello", List.of(), 0, "Hello from a vmtree guest"));
        guests.add(new Guest("fail", List.of(), 1, "fail: this guest reports a failure on purpose"));
        for (String name : List.of("rv64i", "m", "a", "c", "zicsr", "smc", "mmu", "sbi-base", "sbi-time", "sbi-ipi",
                "sbi-rfence", "sbi-srst", "sbi-dbcn", "sbi-legacy", "sbi-hostile", "illegal")) {
            guests.add(new Guest(name, List.of(), 0, name + ": PASS"));
        }
        guests.add(new Guest("sbi-hsm", List.of("--harts", "2"), 0, "sbi-hsm: PASS"));
        guests.add(new Guest("traps", List.of("--m-mode"), 0, ""));
        guests.add(new Guest("bench-loop", List.of("--max-instructions", BENCH_BUDGET), 3,
                "bench-loop: start, 160000000 iterations"));
        guests.add(new Guest("bench-long", List.of("--max-instructions", BENCH_BUDGET), 3,
                "bench-long: start, 333333333 iterations"));
        guests.add(new Guest("bench-mem", List.of("--max-instructions", BENCH_BUDGET), 3,
                "bench-mem: start, sieve 4000000 bytes, sort 524288 keys"));
        guests.add(new Guest("planted", List.of(), 0, "planted: total 44999798663, canary 201337"));
        guests.add(new Guest("churn", List.of("--harts", "2", "--max-instructions", BENCH_BUDGET), 3, "churn: start"));
        return guests;
    }

    /** Programs that need scripted input, each driven by its own test (named here). */
    static final Set<String> RUN_ELSEWHERE = Set.of(
            "input",    // StampedInputTest
            "netecho",  // NetworkInputTest
            "kvshell",  // KvShellTest, LauncherTest
            "dirty");   // never ends: BackgroundInstancesTest (cli), bench/running-commit.sh

    static Path bin() {
        return OutsideTools.projectRoot().resolve("guests/bin");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("guests")
    void guestProgramReportsItsVerdict(Guest guest) {
        List<String> args = new ArrayList<>(guest.options);
        args.add(bin().resolve(guest.name + ".elf").toString());
        VmtreeExec.Result result = VmtreeExec.exec(args.toArray(String[]::new));
        String console = result.out().replace("\r", "");
        assertThat(result.exitCode()).as("exit status of %s; output:%n%s%s", guest.name, console, result.err())
                .isEqualTo(guest.exitCode);
        if (!guest.line.isEmpty()) {     // traps has no console: its verdict is the HTIF exit status
            assertThat(console.lines()).as("console of %s", guest.name).contains(guest.line);
        }
        assertThat(console).as("console of %s", guest.name).doesNotContain("FAIL ");
    }

    @Test
    void everyCommittedProgramIsRunHere() throws IOException {
        Set<String> committed = new TreeSet<>();
        try (Stream<Path> files = Files.list(bin())) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".elf"))
                    .forEach(n -> committed.add(n.substring(0, n.length() - 4)));
        }
        Set<String> run = new TreeSet<>(guests().stream().map(Guest::name).toList());
        run.addAll(RUN_ELSEWHERE);
        assertThat(run).isEqualTo(committed);
    }
}
