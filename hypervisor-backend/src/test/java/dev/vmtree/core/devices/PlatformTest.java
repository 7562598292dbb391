package dev.vmtree.core.devices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.devices.Platform.Disk;
import dev.vmtree.core.devices.Platform.Region;
import dev.vmtree.core.loader.DeviceTree;
import dev.vmtree.cow.InMemoryPagedImage;
import dev.vmtree.cow.disk.VirtualDisk;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlatformTest {

    /** The Machine's side, recorded. */
    static final class Host implements PlatformHost {
        final long[] mip = new long[2];
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final List<String> power = new ArrayList<>();
        int entropy;

        @Override
        public void setExternal(int hart, boolean supervisor, boolean level) {
            long bit = supervisor ? 1L << 9 : 1L << 11;
            mip[hart] = level ? mip[hart] | bit : mip[hart] & ~bit;
        }

        @Override
        public void put(byte b) {
            out.write(b);
        }

        @Override
        public void powerOff() {
            power.add("off");
        }

        @Override
        public void reboot() {
            power.add("reboot");
        }

        @Override
        public void fail(int code) {
            power.add("fail " + code);
        }

        @Override
        public int fill(byte[] dst, int off, int len) {
            for (int i = 0; i < len; i++) {
                dst[off + i] = (byte) entropy++;
            }
            return len;
        }
    }

    private final Host host = new Host();
    private final RamDma ram = new RamDma(new InMemoryPagedImage(1 << 20, 4096), 0x8000_0000L);
    private final Platform p = new Platform(2, host, ram,
            List.of(new Disk(VirtualDisk.blank(1 << 20), false, "root"), new Disk(VirtualDisk.blank(1 << 16), true, "ro")), true, true);

    @Test
    void regionsDoNotOverlapAndCarryTheDevices() {
        List<Region> r = p.regions();
        assertThat(r).extracting(Region::name).containsExactly("syscon", "plic", "uart", "virtio0", "virtio1", "virtio2",
                "virtio3", "virtio4", "virtio5", "virtio6", "virtio7");
        for (int i = 1; i < r.size(); i++) {
            assertThat(r.get(i - 1).base() + r.get(i - 1).size()).isLessThanOrEqualTo(r.get(i).base());
        }
        assertThat(r.get(6).device().read(0x08, 4)).isEqualTo(4); // rng last
        assertThat(r.get(5).device().read(0x08, 4)).isEqualTo(3);
        assertThat(p.console()).isNotNull();
        assertThat(p.virtio()).hasSize(4);
        assertThat(r.get(7).device().read(0x00, 4)).as("an empty slot answers like QEMU's").isEqualTo(0x74726976);
        assertThat(r.get(7).device().read(0x08, 4)).as("device id 0: nothing here").isZero();
        r.get(0).device().write(0, 4, 0x5555);
        assertThat(host.power).containsExactly("off");
    }

    @Test
    void uartInterruptsReachSupervisorModeOfHartZero() {
        p.plic().write(4L * Platform.UART_IRQ, 4, 1);
        p.plic().write(0x2000 + 0x80, 4, 1 << Platform.UART_IRQ);
        p.uart().write(1, 1, 1);
        p.uart().deliverInput(new byte[] {'a'});
        assertThat(host.mip[0]).isEqualTo(1L << 9);
    }

    @Test
    void stateSurvivesTheCanonicalEncodingAndRestoresIntoAFreshPlatform() {
        p.plic().write(4L * Platform.UART_IRQ, 4, 3);
        p.plic().write(0x2000 + 0x80, 4, 1 << Platform.UART_IRQ);
        p.uart().write(2, 1, 1);
        p.uart().write(1, 1, 1);
        p.uart().deliverInput("xyz".getBytes(StandardCharsets.US_ASCII));
        p.console().deliverInput(new byte[] {1, 2});
        PlatformState s = p.save();
        byte[] bytes = DeviceStateCodec.encode(s);
        assertThat(DeviceStateCodec.decodePlatform(bytes)).isEqualTo(s);

        Host host2 = new Host();
        Platform q = new Platform(2, host2, ram,
                List.of(new Disk(VirtualDisk.blank(1 << 20), false, "root"), new Disk(VirtualDisk.blank(1 << 16), true, "ro")), true, true);
        q.restore(DeviceStateCodec.decodePlatform(bytes));
        assertThat(DeviceStateCodec.encode(q.save())).isEqualTo(bytes);
        assertThat(host2.mip).isEqualTo(host.mip).containsExactly(1L << 9, 0);
        for (Platform x : List.of(p, q)) {
            x.uart().read(0, 1);
            x.plic().read(0x200000 + 0x1000 + 4, 4);
        }
        assertThat(q.save()).isEqualTo(p.save());

        Platform fewer = new Platform(2, new Host(), ram, List.of(), false, false);
        assertThatThrownBy(() -> fewer.restore(s)).hasMessageContaining("4 virtio devices");
        assertThatThrownBy(() -> new Platform(1, new Host(), ram, java.util.Collections.nCopies(8,
                new Disk(VirtualDisk.blank(4096), false, "d")), true, false)).hasMessageContaining("at most 8");
    }

    @Test
    void dtcAcceptsThePlatformNodes(@TempDir Path dir) throws Exception {
        DeviceTree t = DeviceTreeFragmentsTestSupport.rootWithTwoHarts();
        t.begin("chosen").string("stdout-path", Platform.stdoutPath()).end();
        for (DtNode n : p.deviceTreeNodes(new int[] {1, 2})) {
            n.writeTo(t);
        }
        assertThat(DeviceTreeFragmentsTestSupport.decode(dir, t.end().toBlob(0))).contains("stdout-path = \"/serial@10000000\";",
                "virtio_mmio@10004000 {", "interrupts = <0x04>;", "plic@c000000 {", "test@100000 {");
    }
}
