package dev.vmtree.core.devices;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.devices.virtio.VirtioMmio;
import dev.vmtree.core.loader.DeviceTree;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceTreeFragmentsTest {

    /** A root like the Machine's, with two harts and every device fragment placed under it. */
    static byte[] tree() {
        DeviceTree t = DeviceTreeFragmentsTestSupport.rootWithTwoHarts();
        t.begin("soc").cells("#address-cells", 2).cells("#size-cells", 2).string("compatible", "simple-bus").empty("ranges");
        new Plic(32, 2, (h, s, l) -> {}).deviceTreeNode(0x0C00_0000L, 10, new int[] {1, 2}).writeTo(t);
        Uart16550.deviceTreeNode(0x1000_0000L, 10, 10).writeTo(t);
        for (int i = 0; i < 3; i++) {
            VirtioMmio.deviceTreeNode(0x1000_1000L + 0x1000L * i, 10, 1 + i).writeTo(t);
        }
        DtNode[] sys = Syscon.deviceTreeNodes(0x10_0000, 11);
        sys[0].writeTo(t);
        t.end();
        sys[1].writeTo(t);
        sys[2].writeTo(t);
        return t.end().toBlob(0);
    }

    @Test
    void dtcDecodesEveryDeviceNodeWithoutWarnings(@TempDir Path dir) throws Exception {
        // dtc prints string lists as "a\0b"; 3686400 (0x384000) happens to look like a string to it
        String dts = DeviceTreeFragmentsTestSupport.decode(dir, tree());
        assertThat(dts).contains("plic@c000000 {", "compatible = \"sifive,plic-1.0.0\\0riscv,plic0\";",
                "reg = <0x00 0xc000000 0x00 0x4000000>;", "interrupts-extended = <0x01 0x0b 0x01 0x09 0x02 0x0b 0x02 0x09>;",
                "riscv,ndev = <0x1f>;", "serial@10000000 {", "compatible = \"ns16550a\";",
                "reg = <0x00 0x10000000 0x00 0x100>;", "interrupts = <0x0a>;", "virtio_mmio@10003000 {",
                "compatible = \"virtio,mmio\";", "interrupts = <0x03>;", "test@100000 {",
                "compatible = \"sifive,test1\\0sifive,test0\\0syscon\";", "poweroff {",
                "compatible = \"syscon-poweroff\";", "value = <0x5555>;", "value = <0x7777>;");
    }

    @Test
    void nodesArePlainImmutableData() {
        DtNode n = Uart16550.deviceTreeNode(0x1000_0000L, 10, 10);
        assertThat(n.name()).isEqualTo("serial@10000000");
        assertThat(n.prop("interrupts")).isEqualTo(new DtNode.Cells("interrupts", List.of(10)));
        assertThat(n.prop("reg")).isEqualTo(new DtNode.Longs("reg", List.of(0x1000_0000L, Uart16550.SIZE)));
        DtNode more = n.empty("extra");
        assertThat(n.prop("extra")).isNull();
        assertThat(more.prop("extra")).isEqualTo(new DtNode.Empty("extra"));
        assertThat(n).isEqualTo(Uart16550.deviceTreeNode(0x1000_0000L, 10, 10));
    }
}
