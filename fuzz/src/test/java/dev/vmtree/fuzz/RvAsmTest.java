package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the Java encoder against GNU as: the listing of generated programs, assembled by
 * binutils, must give exactly the bytes {@link RvAsm} produced.
 */
class RvAsmTest {

    @Test
    void encodingsMatchBinutils(@TempDir Path dir) throws Exception {
        Path as = OutsideTools.require("riscv64-unknown-elf-as");
        Path objcopy = OutsideTools.require("riscv64-unknown-elf-objcopy");
        for (long seed = 500; seed < 520; seed++) {
            RvAsm code = DiffProgram.generate(seed, 300).code(seed % 2 == 0 ? DiffProgram.Target.SBI
                                                                           : DiffProgram.Target.LINUX_USER);
            List<String> source = new ArrayList<>();
            List<String> listing = code.listing();
            for (int k = 0; k < listing.size(); k++) {
                String insn = listing.get(k).substring(listing.get(k).indexOf(": ") + 2);
                source.add(insn.startsWith("c.") ? ".option rvc" : ".option norvc");
                source.add(insn);
            }
            Path s = dir.resolve("p.s");
            Files.write(s, source);
            OutsideTools.Run asm = OutsideTools.run(List.of(as.toString(), "-march=rv64imac_zicsr", "-o",
                    dir.resolve("p.o").toString(), s.toString()), dir, 60);
            assertThat(asm.exitCode()).as("as: %s", asm.err()).isZero();
            OutsideTools.Run bin = OutsideTools.run(List.of(objcopy.toString(), "-O", "binary", "-j", ".text",
                    dir.resolve("p.o").toString(), dir.resolve("p.bin").toString()), dir, 60);
            assertThat(bin.exitCode()).as("objcopy: %s", bin.err()).isZero();
            assertThat(hex(code.assemble())).as("seed %d", seed).isEqualTo(hex(Files.readAllBytes(dir.resolve("p.bin"))));
        }
    }

    @Test
    void knownEncodings() {
        RvAsm a = new RvAsm(0x1000);
        a.op("add", 10, 11, 12).opImm("srai", 5, 6, 63).amo("sc", true, 1, 2, 3).cLi(10, -1).cNop();
        assertThat(hex(a.assemble())).isEqualTo(hex(new byte[] {
            0x33, (byte) 0x85, (byte) 0xc5, 0x00,     // add a0, a1, a2 = 0x00c58533
            (byte) 0x93, 0x52, (byte) 0xf3, 0x43,     // srai t0, t1, 63 = 0x43f35293
            (byte) 0xaf, (byte) 0xb0, 0x21, 0x18,     // sc.d ra, sp, (gp) = 0x1821b0af
            0x7d, 0x55,                               // c.li a0, -1 = 0x557d
            0x01, 0x00                                // c.nop
        }));
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < bytes.length; k++) {
            s.append(String.format("%02x", bytes[k] & 0xff));
            if (k % 4 == 3) {
                s.append('\n');
            }
        }
        return s.toString();
    }
}
