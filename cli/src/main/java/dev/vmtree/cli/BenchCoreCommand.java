package dev.vmtree.cli;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.cpu.Engine;
import dev.vmtree.core.input.LiveInput;
import dev.vmtree.core.loader.Boot;
import dev.vmtree.core.replay.ReplayEvent;
import dev.vmtree.core.loader.LoadException;
import dev.vmtree.dom0.EngineChoice;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vmtree bench core}: guest MIPS of the embedded core on fixed benchmark programs (S-mode
 * payloads that turn Sv39 on, run a loop, and shut down through SBI SRST), under each engine asked
 * for, beside qemu-system-riscv64 (TCG, and with {@code --qemu-icount} also TCG with
 * {@code -icount shift=0}) running the same files in the same run. The engines' runs alternate, so
 * that each sees the same JIT state and machine load; the first run of each is reported beside its
 * median, which is what translation costs before it pays. QEMU's time is wall-clock per process
 * minus the median time of booting a program that shuts down at once, so its firmware and start-up
 * do not count; both sides divide the payload's instruction count as vmtree counts it.
 */
@Command(
        name = "core",
        mixinStandardHelpOptions = true,
        description = {"Measure guest MIPS of the core (median of runs after warm-up) per engine, beside qemu-system-riscv64.",
            "One row per program and --engine; QEMU runs TCG and, with --qemu-icount, also TCG with -icount shift=0,"
                + " in columns of its own. After the table, each engine's first run against its median (the warm-up:"
                + " JIT compilation, and translation for the translator engines)."})
public final class BenchCoreCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--program", paramLabel = "FILE",
            description = "Benchmark program(s); default guests/bin/bench-loop.elf and guests/bin/bench-mem.elf.")
    List<Path> programs = new ArrayList<>();

    @Option(names = "--engine", paramLabel = "ENGINE", split = ",", completionCandidates = EngineOption.Names.class,
            description = "Engine(s) to measure, comma-separated or repeated: interpreter, translator, eager"
                    + " (default: interpreter,translator; core.engine and VMTREE_ENGINE do not change the list).")
    List<String> engineNames = new ArrayList<>();

    @Option(names = "--runs", defaultValue = "5", description = "Measured runs per program (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "2", description = "Unmeasured warm-up runs (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--qemu", paramLabel = "PATH", defaultValue = "qemu-system-riscv64",
            description = "The QEMU binary to compare with (default: ${DEFAULT-VALUE}).")
    String qemu;

    @Option(names = "--no-qemu", description = "Measure vmtree only.")
    boolean noQemu;

    @Option(names = "--qemu-icount", description = "Also measure QEMU with -icount shift=0 (one guest instruction per"
            + " virtual nanosecond, as deterministic as QEMU gets), in columns of its own beside plain TCG.")
    boolean qemuIcount;

    @Option(names = "--record", description = "Also measure each program the way `vmtree run` runs it, recording its"
            + " ReplayLog (live input polled and every delivery logged, runs in slices), and print the overhead.")
    boolean record;

    /** The engines measured when --engine is not given. */
    static final List<Engine> DEFAULT_ENGINES = List.of(Engine.INTERPRETER, Engine.TRANSLATOR);

    /** The engines --engine names, in order, each once; {@link #DEFAULT_ENGINES} without it. BAD_INPUT for a wrong word. */
    static List<Engine> engines(List<String> names) {
        if (names.isEmpty()) {
            return DEFAULT_ENGINES;
        }
        java.util.LinkedHashSet<Engine> out = new java.util.LinkedHashSet<>();
        for (String n : names) {
            out.add(Engine.parse(EngineChoice.parse("--engine", n)));
        }
        return List.copyOf(out);
    }

    @Override
    public void run() {
        if (runs < 1 || warmup < 0) {
            throw new CliException(2, "--runs must be at least 1 and --warmup at least 0");
        }
        if (noQemu && qemuIcount) {
            throw new CliException(2, "--qemu-icount measures QEMU: it cannot be combined with --no-qemu");
        }
        List<Engine> engines = engines(engineNames);
        EngineChoice.environment();         // every Machine reads it: a misspelt VMTREE_ENGINE is one clear line
        List<Path> files = programs.isEmpty()
                ? List.of(Path.of("guests/bin/bench-loop.elf"), Path.of("guests/bin/bench-mem.elf"))
                : programs;
        PrintWriter out = spec.commandLine().getOut();
        Timing baseline = null, icountBaseline = null;
        if (!noQemu) {
            List<Timing> baselines = qemuBaselines();
            baseline = baselines.getFirst();
            out.printf("qemu boot baseline (program that shuts down at once): %.3f s wall, %.3f s cpu (medians)%n",
                    baseline.wall, baseline.cpu);
            if (qemuIcount) {
                icountBaseline = baselines.get(1);
                out.printf("qemu -icount shift=0 boot baseline: %.3f s wall, %.3f s cpu (medians)%n",
                        icountBaseline.wall, icountBaseline.cpu);
            }
        }
        String header = String.format("%-22s %-11s %14s | %11s %11s | %11s %11s | %6s", "program", "engine",
                "instructions", "vmtree MIPS", "(cpu time)", "qemu MIPS", "(cpu time)", "ratio");
        out.println(qemuIcount ? header + String.format(" | %11s %11s | %6s", "icount MIPS", "(cpu time)", "ratio")
                : header);
        List<String> warmups = new ArrayList<>();
        for (Path file : files) {
            byte[] image = read(file);
            long[] count = new long[engines.size()];
            String[] translated = new String[engines.size()];
            List<Timed> kinds = new ArrayList<>();
            for (int e = 0; e < engines.size(); e++) {
                Engine engine = engines.get(e);
                int slot = e;
                kinds.add(() -> {
                    Machine m = boot(file, image, engine);
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    RunResult r = m.run(-1);
                    count[slot] = r.executed();
                    var stats = m.memory().translationStats();
                    if (translated[slot] == null && stats != null) {   // the first run: nothing cached yet
                        translated[slot] = String.format("%d regions (%d from this JVM's cache), made in %.1f ms"
                                + " (%.2f ms each, %.1f KiB of bytecode; HotSpot's own compilation not counted)",
                                stats.installed(), stats.reused(), stats.compileNanos() / 1e6,
                                stats.compileNanos() / 1e6 / Math.max(1, stats.installed() - stats.reused()),
                                stats.bytecodeBytes() / 1024.0);
                    }
                    return finish(file, r, t0, c0);
                });
                if (record) {
                    kinds.add(() -> {
                        Machine m = boot(file, image, engine);
                        List<ReplayEvent> log = new ArrayList<>();
                        m.setInput(new LiveInput(Console.NONE));
                        m.setInputListener(ev -> log.add(new ReplayEvent.Input(ev)));
                        long c0 = THREADS.getCurrentThreadCpuTime();
                        long t0 = System.nanoTime();
                        RunResult r;
                        do {
                            r = m.run(RECORDING_SLICE);
                        } while (r.reason() == StopReason.BUDGET_EXHAUSTED);
                        return finish(file, r, t0, c0);
                    });
                }
            }
            // interleaved, so that every engine (and recording) sees the same JIT state and machine load
            List<Measured> measured = alternately(warmup, runs, kinds);
            for (int e = 1; e < engines.size(); e++) {
                if (count[e] != count[0]) {
                    throw new CliException(1, file + ": the engines retired different instruction counts ("
                            + engines.getFirst().label() + " " + count[0] + ", " + engines.get(e).label() + " "
                            + count[e] + "): a bug in the core");
                }
            }
            double n = count[0] / 1e6;
            Timing q = null, qi = null;
            if (!noQemu) {
                List<Timed> peers = new ArrayList<>(List.of(() -> qemuSeconds(file, false)));
                if (qemuIcount) {
                    peers.add(() -> qemuSeconds(file, true));
                }
                List<Measured> qm = alternately(Math.min(warmup, 1), runs, peers);
                q = qm.getFirst().median();
                qi = qemuIcount ? qm.get(1).median() : null;
            }
            int per = record ? 2 : 1;
            for (int e = 0; e < engines.size(); e++) {
                Timing vm = measured.get(e * per).median();
                String row = String.format("%-22s %-11s %,14d | %11.1f %11.1f", file.getFileName(), engines.get(e).label(),
                        count[0], n / vm.wall, n / vm.cpu);
                row += q == null ? String.format(" | %11s %11s | %6s", "-", "-", "-") : peer(n, vm, q, baseline);
                if (qi != null) {
                    row += peer(n, vm, qi, icountBaseline);
                }
                out.println(row);
                if (record) {
                    Timing rec = measured.get(e * per + 1).median();
                    out.printf("%-22s %-11s %14s | %11.1f %11.1f | recording overhead %+.1f%% (cpu time)%n", "  recording",
                            engines.get(e).label(), "", n / rec.wall, n / rec.cpu, (rec.cpu / vm.cpu - 1) * 100);
                }
                Measured m = measured.get(e * per);
                warmups.add(String.format("  %-22s %-11s first %8.3f s, median %8.3f s (cpu; wall %.3f s, %.3f s):"
                        + " first / median %.2fx", file.getFileName(), engines.get(e).label(), m.first().cpu,
                        m.median().cpu, m.first().wall, m.median().wall, m.first().cpu / Math.max(m.median().cpu, 1e-9)));
                if (translated[e] != null) {
                    warmups.add("      first run translated " + translated[e]);
                }
            }
            out.flush();
        }
        out.println("warm-up: each engine's first run (the first warm-up run, else the first measured one) against its"
                + " median:");
        warmups.forEach(out::println);
        out.println("MIPS = payload instructions / median seconds; ratio = vmtree / qemu on CPU time.");
        out.printf("vmtree: in-process Machine.run, boot excluded, CPU time of the running thread only (a translator's"
                + " background compilation shows in wall time); Java %s%n", Runtime.version());
        if (!noQemu) {
            out.printf("qemu: %s -M virt -nographic -bios default -kernel FILE (wall clock minus baseline)%s%n", qemu,
                    qemuIcount ? "; icount columns: the same with -icount shift=0" : "");
        }
    }

    /** The QEMU columns of a row: its MIPS on wall and CPU time (baseline subtracted) and vmtree / QEMU on CPU time. */
    private static String peer(double n, Timing vm, Timing q, Timing baseline) {
        double qWall = n / Math.max(q.wall - baseline.wall, 1e-6);
        double qCpu = n / Math.max(q.cpu - baseline.cpu, 1e-6);
        return String.format(" | %11.1f %11.1f | %6.2f", qWall, qCpu, (n / vm.cpu) / qCpu);
    }

    /** The slice `vmtree run` uses between looks at stop requests (dom0.rv64.CoreMachine.SLICE). */
    private static final long RECORDING_SLICE = 1L << 21;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Wall-clock and CPU seconds of one run (the machine is shared, so CPU time is the steadier figure). */
    private record Timing(double wall, double cpu) {}

    /** One kind of run measured: the medians of its measured runs, and its very first run (warm-up or not). */
    private record Measured(Timing median, Timing first) {}

    private interface Timed {
        Timing measure();
    }

    /**
     * Several kinds of run measured in turn, {@code warmup} unmeasured rounds then {@code runs}
     * measured ones: for each, the medians of wall and CPU time (taken separately) and its first run.
     */
    private static List<Measured> alternately(int warmup, int runs, List<Timed> kinds) {
        Timing[] first = new Timing[kinds.size()];
        double[][] wall = new double[kinds.size()][runs];
        double[][] cpu = new double[kinds.size()][runs];
        for (int round = 0; round < warmup + runs; round++) {
            for (int k = 0; k < kinds.size(); k++) {
                Timing t = kinds.get(k).measure();
                if (round == 0) {
                    first[k] = t;
                }
                if (round >= warmup) {
                    wall[k][round - warmup] = t.wall;
                    cpu[k][round - warmup] = t.cpu;
                }
            }
        }
        List<Measured> out = new ArrayList<>();
        for (int k = 0; k < kinds.size(); k++) {
            out.add(new Measured(new Timing(Benches.median(wall[k]), Benches.median(cpu[k])), first[k]));
        }
        return out;
    }

    private static Timing finish(Path file, RunResult r, long t0, long c0) {
        Timing t = new Timing((System.nanoTime() - t0) / 1e9, (THREADS.getCurrentThreadCpuTime() - c0) / 1e9);
        if (r.reason() != StopReason.SHUTDOWN) {
            throw new CliException(1, file + ": benchmark did not shut down cleanly: " + r.reason());
        }
        return t;
    }

    private static Machine boot(Path file, byte[] image, Engine engine) {
        try {
            Machine m = Boot.boot(new MachineConfig(256L << 20, 1, false, ""), Console.NONE,
                    new Boot.Images(image, file.toString(), null, null, null, null));
            m.setEngine(engine);
            return m;
        } catch (LoadException e) {
            throw new CliException(4, e.getMessage());
        }
    }

    private static byte[] read(Path file) {
        if (!Files.exists(file)) {
            throw new CliException(4, "cannot read benchmark program " + file
                    + " (build the guests, or pass --program FILE): No such file or directory");
        }
        // bounded like every boot file: the benchmark machine has 256 MiB of RAM
        return dev.vmtree.dom0.MachineValues.readProgram("benchmark program", file, 256L << 20);
    }

    /** The medians of QEMU booting a program that shuts down at once: plain TCG, then (--qemu-icount) with icount. */
    private List<Timing> qemuBaselines() {
        try {
            Path tmp = Files.createTempFile("vmtree-bench-shutdown", ".bin");
            try {
                Files.write(tmp, shutdownProgram());
                List<Timed> kinds = new ArrayList<>(List.of(() -> qemuSeconds(tmp, false)));
                if (qemuIcount) {
                    kinds.add(() -> qemuSeconds(tmp, true));
                }
                return alternately(1, runs, kinds).stream().map(Measured::median).toList();
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new CliException(4, "cannot write a temporary file: " + e.getMessage());
        }
    }

    /** SBI SRST shutdown at once: li a7,SRST; li a6,0; li a0,0; li a1,0; ecall (raw, loaded at 0x80200000). */
    static byte[] shutdownProgram() {
        int[] words = {
            0x535258b7, // lui a7, 0x53525
            0x3548889b, // addiw a7, a7, 0x354
            0x00000813, // li a6, 0
            0x00000513, // li a0, 0
            0x00000593, // li a1, 0
            0x00000073, // ecall
            0x0000006f  // j .
        };
        ByteBuffer b = ByteBuffer.allocate(words.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : words) {
            b.putInt(w);
        }
        return b.array();
    }

    /**
     * Runs QEMU once under a shell that afterwards prints its children's CPU time (utime + stime in
     * clock ticks, fields 16 and 17 of /proc/PID/stat), so QEMU's CPU time is known without extra tools.
     * With {@code icount}, QEMU runs with {@code -icount shift=0}.
     */
    private Timing qemuSeconds(Path file, boolean icount) {
        String cmd = "\"$0\" -M virt -m 256M -nographic -bios default" + (icount ? " -icount shift=0" : "")
                + " -kernel \"$1\" >/dev/null 2>&1 </dev/null; rc=$?; cut -d' ' -f16,17 /proc/$$/stat; exit $rc";
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", cmd, qemu, file.toString());
        pb.redirectErrorStream(true);
        long t0 = System.nanoTime();
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            String ticks = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CliException(1, qemu + " did not finish " + file + " within 300 s");
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            if (p.exitValue() != 0) {
                throw new CliException(1, qemu + " exited with status " + p.exitValue() + " on " + file);
            }
            String[] f = ticks.split("\\s+");
            double cpu = (Long.parseLong(f[0]) + Long.parseLong(f[1])) / (double) CLOCK_TICKS;
            return new Timing(wall, cpu);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new CliException(4, "cannot read QEMU's CPU time from /proc");
        } catch (IOException e) {
            throw new CliException(4, "cannot run " + qemu + ": " + e.getMessage() + " (use --no-qemu to skip it)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(4, "interrupted");
        }
    }

    /** USER_HZ of /proc/PID/stat on Linux. */
    private static final long CLOCK_TICKS = 100;
}
