package dev.vmtree.core.devices;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SysconTest {
    private final List<String> events = new ArrayList<>();
    private final Syscon syscon = new Syscon(new PowerControl() {
        @Override
        public void powerOff() {
            events.add("off");
        }

        @Override
        public void reboot() {
            events.add("reboot");
        }

        @Override
        public void fail(int code) {
            events.add("fail " + code);
        }
    });

    @Test
    void reportsPowerOffRebootAndFailureWithItsCode() {
        syscon.write(0, 4, 0x5555);
        syscon.write(0, 4, 0x7777);
        syscon.write(0, 4, (42 << 16) | 0x3333);
        syscon.write(0, 8, 0xFFFF_0000_0000_3333L | (0xFFFFL << 16));
        assertThat(events).containsExactly("off", "reboot", "fail 42", "fail 65535");
    }

    @Test
    void ignoresEverythingElse() {
        syscon.write(0, 4, 0x1234);
        syscon.write(4, 4, 0x5555);
        syscon.write(0, 2, 0x5555);
        syscon.write(-8, 8, 0x5555);
        assertThat(events).isEmpty();
        assertThat(syscon.read(0, 4)).isZero();
    }

    @Test
    void deviceTreeNodesPointPoweroffAndRebootAtTheDevice() {
        DtNode[] nodes = Syscon.deviceTreeNodes(0x10_0000, 9);
        assertThat(nodes[0].name()).isEqualTo("test@100000");
        assertThat(nodes[1].prop("regmap")).isEqualTo(new DtNode.Cells("regmap", List.of(9)));
        assertThat(nodes[1].prop("value")).isEqualTo(new DtNode.Cells("value", List.of(0x5555)));
        assertThat(nodes[2].prop("value")).isEqualTo(new DtNode.Cells("value", List.of(0x7777)));
    }
}
