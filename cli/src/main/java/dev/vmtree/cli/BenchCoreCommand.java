package dev.vmtree.cli;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.input.LiveInput;
import dev.vmtree.core.loader.Boot;
import dev.vmtree.core.replay.ReplayEvent;
import dev.vmtree.core.loader.LoadException;
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
 * payloads that turn Sv39 on, run a loop, and shut down through SBI SRST), beside
 * qemu-system-riscv64 (TCG) running the same files in the same run. QEMU's time is wall-clock per
 * process minus the median time of booting a program that shuts down at once, so its firmware
 * and start-up do not count; both sides divide the payload's instruction count as vmtree counts it.
 */
@Command(
        name = "core",
        mixinStandardHelpOptions = true,
        description = "Measure guest MIPS of the core (median of runs after warm-up) beside qemu-system-riscv64.")
public final class BenchCoreCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--program", paramLabel = "FILE",
            description = "Benchmark program(s); default guests/bin/bench-loop.elf and guests/bin/bench-mem.elf.")
    List<Path> programs = new ArrayList<>();

    @Option(names = "--runs", defaultValue = "5", description = "Measured runs per program (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "2", description = "Unmeasured warm-up runs (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--qemu", paramLabel = "PATH", defaultValue = "qemu-system-riscv64",
            description = "The QEMU binary to compare with (default: ${DEFAULT-VALUE}).")
    String qemu;

    @Option(names = "--no-qemu", description = "Measure vmtree only.")
    boolean noQemu;

    @Option(names = "--record", description = "Also measure each program the way `vmtree run` runs it, recording its"
            + " ReplayLog (live input polled and every delivery logged, runs in slices), and print the overhead.")
    boolean record;

    @Override
    public void run() {
        if (runs < 1 || warmup < 0) {
            throw new CliException(2, "--runs must be at least 1 and --warmup at least 0");
        }
        List<Path> files = programs.isEmpty()
                ? List.of(Path.of("guests/bin/bench-loop.elf"), Path.of("guests/bin/bench-mem.elf"))
                : programs;
        PrintWriter out = spec.commandLine().getOut();
        Timing baseline = null;
        if (!noQemu) {
            baseline = qemuBaseline();
            out.printf("qemu boot baseline (program that shuts down at once): %.3f s wall, %.3f s cpu (medians)%n",
                    baseline.wall, baseline.cpu);
        }
        out.printf("%-22s %14s | %11s %11s | %11s %11s | %6s%n", "program", "instructions", "vmtree MIPS",
                "(cpu time)", "qemu MIPS", "(cpu time)", "ratio");
        for (Path file : files) {
            byte[] image = read(file);
            long[] count = new long[1];
            Timed plain = () -> {
                Machine m = boot(file, image);
                long c0 = THREADS.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                RunResult r = m.run(-1);
                count[0] = r.executed();
                return finish(file, r, t0, c0);
            };
            Timing vm;
            Timing rec = null;
            if (record) {
                // interleaved with plain runs, so both see the same JIT state and machine load
                Timed recording = () -> {
                    Machine m = boot(file, image);
                    List<ReplayEvent> log = new ArrayList<>();
                    m.setInput(new LiveInput(Console.NONE));
                    m.setInputListener(e -> log.add(new ReplayEvent.Input(e)));
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    RunResult r;
                    do {
                        r = m.run(RECORDING_SLICE);
                    } while (r.reason() == StopReason.BUDGET_EXHAUSTED);
                    return finish(file, r, t0, c0);
                };
                Timing[] pair = medianPair(warmup, runs, plain, recording);
                vm = pair[0];
                rec = pair[1];
            } else {
                vm = median(warmup, runs, plain);
            }
            double n = count[0] / 1e6;
            if (noQemu) {
                out.printf("%-22s %,14d | %11.1f %11.1f | %11s %11s | %6s%n", file.getFileName(), count[0],
                        n / vm.wall, n / vm.cpu, "-", "-", "-");
            } else {
                Timing q = median(Math.min(warmup, 1), runs, () -> qemuSeconds(file));
                double qWall = n / Math.max(q.wall - baseline.wall, 1e-6);
                double qCpu = n / Math.max(q.cpu - baseline.cpu, 1e-6);
                out.printf("%-22s %,14d | %11.1f %11.1f | %11.1f %11.1f | %6.2f%n", file.getFileName(), count[0],
                        n / vm.wall, n / vm.cpu, qWall, qCpu, (n / vm.cpu) / qCpu);
            }
            if (rec != null) {
                out.printf("%-22s %14s | %11.1f %11.1f | recording overhead %+.1f%% (cpu time)%n", "  recording", "",
                        n / rec.wall, n / rec.cpu, (rec.cpu / vm.cpu - 1) * 100);
            }
            out.flush();
        }
        out.println("MIPS = payload instructions / median seconds; ratio = vmtree / qemu on CPU time.");
        out.printf("vmtree: in-process Machine.run, boot excluded; Java %s%n", Runtime.version());
        if (!noQemu) {
            out.printf("qemu: %s -M virt -nographic -bios default -kernel FILE (wall clock minus baseline)%n", qemu);
        }
    }

    /** The slice `vmtree run` uses between looks at stop requests (dom0.rv64.CoreMachine.SLICE). */
    private static final long RECORDING_SLICE = 1L << 21;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Wall-clock and CPU seconds of one run (the machine is shared, so CPU time is the steadier figure). */
    private record Timing(double wall, double cpu) {}

    private interface Timed {
        Timing measure();
    }

    /** Medians of wall and CPU time, taken separately. */
    private static Timing median(int warmup, int runs, Timed t) {
        for (int i = 0; i < warmup; i++) {
            t.measure();
        }
        double[] w = new double[runs];
        double[] c = new double[runs];
        for (int i = 0; i < runs; i++) {
            Timing m = t.measure();
            w[i] = m.wall;
            c[i] = m.cpu;
        }
        return new Timing(Benches.median(w), Benches.median(c));
    }

    /** Medians of two kinds of run, measured alternately. */
    private static Timing[] medianPair(int warmup, int runs, Timed a, Timed b) {
        for (int i = 0; i < warmup; i++) {
            a.measure();
            b.measure();
        }
        double[][] t = new double[4][runs];
        for (int i = 0; i < runs; i++) {
            Timing x = a.measure(), y = b.measure();
            t[0][i] = x.wall;
            t[1][i] = x.cpu;
            t[2][i] = y.wall;
            t[3][i] = y.cpu;
        }
        return new Timing[] {new Timing(Benches.median(t[0]), Benches.median(t[1])), new Timing(Benches.median(t[2]), Benches.median(t[3]))};
    }

    private static Timing finish(Path file, RunResult r, long t0, long c0) {
        Timing t = new Timing((System.nanoTime() - t0) / 1e9, (THREADS.getCurrentThreadCpuTime() - c0) / 1e9);
        if (r.reason() != StopReason.SHUTDOWN) {
            throw new CliException(1, file + ": benchmark did not shut down cleanly: " + r.reason());
        }
        return t;
    }

    private static Machine boot(Path file, byte[] image) {
        try {
            return Boot.boot(new MachineConfig(256L << 20, 1, false, ""), Console.NONE,
                    new Boot.Images(image, file.toString(), null, null, null, null));
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

    private Timing qemuBaseline() {
        try {
            Path tmp = Files.createTempFile("vmtree-bench-shutdown", ".bin");
            try {
                Files.write(tmp, shutdownProgram());
                return median(1, runs, () -> qemuSeconds(tmp));
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
     */
    private Timing qemuSeconds(Path file) {
        String cmd = "\"$0\" -M virt -m 256M -nographic -bios default -kernel \"$1\" >/dev/null 2>&1 </dev/null;"
                + " rc=$?; cut -d' ' -f16,17 /proc/$$/stat; exit $rc";
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
