package dev.vmtree.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Runs one {@link DiffProgram} on each runner and returns its dump text. */
final class DiffRunners {
    private DiffRunners() {}

    /** The reference: Linux user mode under qemu-riscv64. A program that does not dump is a harness bug. */
    static String qemuUser(DiffProgram program, Path dir) throws IOException, InterruptedException {
        Path elf = write(dir, "linux-" + program.seed() + ".elf", program.elf(DiffProgram.Target.LINUX_USER));
        OutsideTools.Run run = OutsideTools.run(List.of(OutsideTools.require("qemu-riscv64").toString(), elf.toString()), dir, 60);
        String dump = DiffProgram.extractDump(run.out());
        assertThat(run.exitCode()).as("qemu-riscv64 exit, stderr %s, %s", run.err(), program.describe()).isZero();
        assertThat(dump).as("qemu-riscv64 dump, stderr %s", run.err()).isNotNull();
        return dump;
    }

    /** The SBI variant on QEMU's virt machine with its OpenSBI: proves that variant prints the same dump. */
    static String qemuSystem(DiffProgram program, Path dir) throws IOException, InterruptedException {
        Path elf = write(dir, "sbi-" + program.seed() + ".elf", program.elf(DiffProgram.Target.SBI));
        OutsideTools.Run run = OutsideTools.run(List.of(OutsideTools.require("qemu-system-riscv64").toString(),
                "-M", "virt", "-nographic", "-bios", "default", "-kernel", elf.toString()), dir, 60);
        String dump = DiffProgram.extractDump(run.out());
        assertThat(dump).as("qemu-system-riscv64 dump, stderr %s", run.err()).isNotNull();
        return dump;
    }

    /**
     * Writes an ELF into the test's directory, and also into -Dvmtree.fuzz.keep=DIR to debug a seed.
     * Executable, because qemu-riscv64 refuses (silently, with status 1) to load a file that is not.
     */
    static Path write(Path dir, String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        file.toFile().setExecutable(true, true);
        String keep = System.getProperty("vmtree.fuzz.keep");
        if (keep != null) {
            Files.createDirectories(Path.of(keep));
            Files.write(Path.of(keep, name), bytes);
        }
        return file;
    }
}
