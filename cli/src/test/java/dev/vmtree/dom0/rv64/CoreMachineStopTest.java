package dev.vmtree.dom0.rv64;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Machine;
import dev.vmtree.dom0.ImageCatalog;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.MachineValues;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stop request (signal, --timeout, detach) reaches the core inside a slice, not only between slices. */
class CoreMachineStopTest {

    @Test
    void aStopRequestedMidSliceEndsTheRunWithinACheckPoint(@TempDir Path dir) throws Exception {
        // S-mode raw binary: SBI legacy putchar('\n'), then spin forever
        ByteBuffer code = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        code.putInt(0x00a00513).putInt(0x00100893).putInt(0x00000073).putInt(0x0000006f);
        Path kernel = Files.write(dir.resolve("spin.bin"), code.array());
        MachineDriver.LiveMachine m = new CoreDriver().create(new MachineDriver.MachineSpec(16 << 20, 1, kernel,
                MachineDriver.Boot.SUPERVISOR_ELF, null, null, 0, null, ""));
        long[] askedAt = {-1};
        MachineDriver.Console console = new MachineDriver.Console() {
            @Override
            public int poll() {
                return NONE;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (askedAt[0] < 0) {
                    askedAt[0] = m.instructions();
                    m.requestStop(MachineDriver.StopCause.SIGNAL);  // as the SIGTERM handler does
                }
            }
        };
        MachineDriver.RunOutcome out = m.run(MachineValues.NO_LIMIT, console);
        assertThat(out.cause()).isEqualTo(MachineDriver.StopCause.SIGNAL);
        assertThat(askedAt[0]).isGreaterThanOrEqualTo(0);
        // before, the slice of 2 Mi instructions ran to its end first
        assertThat(out.instructions()).isLessThanOrEqualTo(askedAt[0] + 2L * Machine.CHECK_INTERVAL)
                .isLessThan(CoreMachine.SLICE);
        m.close();
    }
}
