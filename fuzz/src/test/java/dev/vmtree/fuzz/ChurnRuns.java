package dev.vmtree.fuzz;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.devices.Platform;
import dev.vmtree.core.input.ExternalInput;
import dev.vmtree.core.loader.Boot;
import dev.vmtree.core.loader.LoadException;
import dev.vmtree.cow.disk.VirtualDisk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;

/**
 * The determinism workload: guests/bin/churn.elf on two harts with a virtio disk, console and
 * entropy device, input fixed (none, entropy zeros), so a run of N instructions has one StateId.
 * Also a child-JVM entry point that prints that StateId.
 */
final class ChurnRuns {
    static final long MEMORY = 16L << 20;

    private ChurnRuns() {}

    static MachineConfig config() {
        return new MachineConfig(MEMORY, 2, false, "console=ttyS0", List.of(
                new Platform.Disk(VirtualDisk.blank(4L << 20), false, "churn-disk")), true, true);
    }

    static Machine boot(Console console) {
        try {
            byte[] elf = Files.readAllBytes(GuestProgramsTest.bin().resolve("churn.elf"));
            Machine m = Boot.boot(config(), console, Boot.Images.of(elf));
            m.setInput(ExternalInput.NONE);
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (LoadException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs exactly {@code n} instructions (the guest never stops by itself). */
    static void run(Machine m, long n) {
        RunResult r = m.run(n);
        if (r.reason() != StopReason.BUDGET_EXHAUSTED || r.executed() != n) {
            throw new IllegalStateException("churn stopped early: " + r);
        }
    }

    /** Child JVM: prints the StateId after {@code args[0]} instructions. */
    public static void main(String[] args) {
        Machine m = boot(Console.NONE);
        run(m, Long.parseLong(args[0]));
        System.out.println(m.capture().stateId());
    }
}
