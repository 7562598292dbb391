package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.RunResult;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.devices.Platform;
import dev.vmtree.core.loader.Boot;
import dev.vmtree.cow.disk.VirtualDisk;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The built-in guest guests/bin/kvshell.elf on the core, driven by scripted console input. */
@Tag("engines")
class KvShellTest {

    record Session(Machine machine, String out, RunResult result) {}

    static Session run(String input, VirtualDisk disk) throws Exception {
        byte[] elf = Files.readAllBytes(GuestProgramsTest.bin().resolve("kvshell.elf"));
        Console console = StampedInputTest.feeding(input);
        DeterminismTest.Text text = new DeterminismTest.Text();
        Console both = new Console() {
            @Override
            public void write(int b) {
                text.write(b);
            }

            @Override
            public int read() {
                return console.read();
            }

            @Override
            public boolean awaitInput() {
                return console.awaitInput();
            }
        };
        List<Platform.Disk> disks = disk == null ? List.of() : List.of(new Platform.Disk(disk, false, "kv"));
        Machine m = Boot.boot(new MachineConfig(16L << 20, 1, false, "", disks), both, Boot.Images.of(elf));
        RunResult r = m.run(200_000_000);
        return new Session(m, text.out.toString(StandardCharsets.UTF_8), r);
    }

    @Test
    void theShellKeepsKeysAndAnswersEveryCommand() throws Exception {
        Session s = run("set apple 3\nset pear 5\r\nset name kiwi\nget pear\nsum\ncount\nlist\ndel apple\ndel apple\n"
                + "sum\nfrob\nset lonely\nget\nsez\bt x 1\nhelp\n", VirtualDisk.blank(1 << 20));
        String out = s.out();
        assertThat(out).startsWith("kvshell 1:").contains("kv> ");
        assertThat(out).contains("kv> get pear\n5\n").as("CR LF is one line end").doesNotContain("kv> \nkv> ");
        assertThat(out).contains("sum 8 over 2 numeric values");
        assertThat(out).contains("3 keys");
        assertThat(out).contains("apple = 3\nname = kiwi\npear = 5\n(3 keys)");
        assertThat(out).contains("deleted apple").contains("error: no key 'apple'");
        assertThat(out).contains("sum 5 over 1 numeric values");
        assertThat(out).contains("error: unknown command 'frob' (try help)");
        assertThat(out).contains("error: usage: set KEY VALUE").contains("error: usage: get KEY");
        assertThat(out).as("backspace edits the line").contains("kv> sez\b \bt x 1\nok");
        assertThat(out).contains("commands: set KEY VALUE");
        assertThat(s.result().reason()).as("input exhausted: the shell waits, the run ends idle")
                .isEqualTo(StopReason.IDLE);
        assertThat(s.machine().harts()).allMatch(Hart::waitingForInterrupt);
    }

    @Test
    void savedKeysComeBackOnAnotherMachineOverTheSameDiskAndHaltPowersOff() throws Exception {
        VirtualDisk disk = VirtualDisk.blank(1 << 20);
        Session first = run("set a 1\nset b 2\nsave\n", disk);
        assertThat(first.out()).contains("saved 2 keys to disk");
        Session second = run("list\nset c 3\nload\ncount\nhalt\n", disk);
        assertThat(second.out()).contains("loaded 2 keys from disk\nkv> list\na = 1\nb = 2\n(2 keys)");
        assertThat(second.out()).contains("kv> count\n2 keys").contains("bye");
        assertThat(second.result().reason()).isEqualTo(StopReason.SHUTDOWN);
    }

    @Test
    void withoutADiskSaveAndLoadSayWhy() throws Exception {
        Session s = run("save\nload\n", null);
        assertThat(s.out()).contains("no disk: save and load are unavailable").contains("error: no disk attached");
    }
}
