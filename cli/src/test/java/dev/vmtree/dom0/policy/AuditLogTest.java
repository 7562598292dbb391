package dev.vmtree.dom0.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.dom0.ToolstackException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log: whole lines from concurrent writers, a torn last line skipped, damage reported not fatal. */
class AuditLogTest {
    @TempDir
    Path dir;

    static AuditLog.Entry entry(String op, String instance, String detail) {
        return new AuditLog.Entry(Instant.parse("2026-05-01T12:00:00.123Z"), 42, "ada", op, instance,
                AuditLog.Outcome.OK, detail);
    }

    @Test
    void anEntryReadsBackAsWrittenWithEveryCharacterOfItsDetail() throws Exception {
        AuditLog log = new AuditLog(dir.resolve("audit.log"));
        AuditLog.Entry e = new AuditLog.Entry(Instant.parse("2026-05-01T12:00:00.123Z"), 42, "ada", "commit", "vm1",
                AuditLog.Outcome.REFUSED, "quote \" backslash \\ newline \n tab \t nul \0 é ☃ \uD83D\uDE00");
        log.append(e);
        log.append(entry("stop", null, ""));
        assertThat(log.read().entries()).containsExactly(e, entry("stop", null, ""));
        assertThat(Files.readString(log.file())).startsWith("{\"v\":1,\"time\":\"2026-05-01T12:00:00.123Z\",\"pid\":42,"
                + "\"user\":\"ada\",\"op\":\"commit\",\"instance\":\"vm1\",\"outcome\":\"refused\",\"detail\":\"quote \\\"");
        assertThat(Files.readAllLines(log.file())).hasSize(2);
    }

    @Test
    void twoThreadsAppendingAtOnceLoseNoLineAndMixNone() throws Exception {
        AuditLog log = new AuditLog(dir.resolve("audit.log"));
        int each = 300;
        String pad = "x".repeat(900);   // long lines: a torn or interleaved write would show
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> done = new java.util.ArrayList<>();
            for (String who : List.of("a", "b")) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        new AuditLog(log.file()).append(entry("start", who, who + i + pad));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        AuditLog.Reading r = log.read();
        assertThat(r.damaged()).isEmpty();
        assertThat(r.entries()).hasSize(2 * each);
        for (String who : List.of("a", "b")) {
            assertThat(r.entries().stream().filter(e -> e.instance().equals(who)).map(AuditLog.Entry::detail).toList())
                    .isEqualTo(java.util.stream.IntStream.range(0, each).mapToObj(i -> who + i + pad).toList());
        }
    }

    @Test
    void aTornLastLineIsSkippedAndTheNextAppendEndsItSoNoEntryIsGluedOn() throws Exception {
        AuditLog log = new AuditLog(dir.resolve("audit.log"));
        log.append(entry("commit", "vm1", "one"));
        log.append(entry("commit", "vm1", "two"));
        String whole = Files.readString(log.file());
        String third = whole.substring(whole.indexOf('\n') + 1);
        Files.writeString(log.file(), third.substring(0, 40), StandardOpenOption.APPEND);   // a crash mid-write
        AuditLog.Reading torn = log.read();
        assertThat(torn.entries()).extracting(AuditLog.Entry::detail).containsExactly("one", "two");
        assertThat(torn.damaged()).isEmpty();

        log.append(entry("checkout", "vm1", "three"));
        AuditLog.Reading after = log.read();
        assertThat(after.entries()).extracting(AuditLog.Entry::detail).containsExactly("one", "two", "three");
        assertThat(after.damaged()).singleElement().satisfies(d -> {
            assertThat(d.line()).isEqualTo(3);
            assertThat(d.describe(log.file())).startsWith(log.file() + " line 3 is damaged (").endsWith("); it is left out");
        });
    }

    @Test
    void aDamagedLineInTheMiddleIsReportedAndTheRestRead() throws Exception {
        Path f = dir.resolve("audit.log");
        AuditLog log = new AuditLog(f);
        log.append(entry("add", "vm1", "first"));
        Files.writeString(f, "{\"v\":1,\"time\":\"yesterday\"}\n\u0000\u0000\u0000\n{\"v\":2,\"op\":\"future\"}\n",
                StandardOpenOption.APPEND);
        Files.writeString(f, "{\"later\":{\"nested\":[1,2.5,true,null]},\"v\":1,\"time\":\"2026-05-01T12:00:01Z\","
                + "\"pid\":7,\"user\":\"bob\",\"op\":\"pause\",\"instance\":null,\"outcome\":\"ok\",\"detail\":\"d\","
                + "\"more\":\"x\"}\n", StandardOpenOption.APPEND);
        log.append(entry("remove", "vm1", "last"));
        AuditLog.Reading r = log.read();
        assertThat(r.entries()).extracting(AuditLog.Entry::op).containsExactly("add", "pause", "remove");
        assertThat(r.damaged()).extracting(AuditLog.Damage::line).containsExactly(2L, 3L, 4L);
        assertThat(r.damaged().get(0).reason()).isEqualTo("bad time: yesterday");
        assertThat(r.damaged().get(2).reason()).isEqualTo("format version 2, this vmtree reads 1");
    }

    @Test
    void readKeepsTheLastNMatchingEntriesOldestFirst() {
        AuditLog log = new AuditLog(dir.resolve("audit.log"));
        for (int i = 0; i < 10; i++) {
            log.append(entry("commit", i % 2 == 0 ? "even" : "odd", Integer.toString(i)));
        }
        assertThat(log.read(e -> "odd".equals(e.instance()), 3).entries()).extracting(AuditLog.Entry::detail)
                .containsExactly("5", "7", "9");
        assertThat(new AuditLog(dir.resolve("none")).read().entries()).isEmpty();
    }

    @Test
    void aLogThatCannotBeWrittenIsOneLineNamingIt() throws Exception {
        Path f = Files.createDirectory(dir.resolve("audit.log"));
        assertThatThrownBy(() -> new AuditLog(f).append(entry("commit", "vm1", "")))
                .isInstanceOf(ToolstackException.class)
                .hasMessageStartingWith("cannot write audit log " + f + ": ");
        assertThat(f).isDirectory();
    }
}
