package dev.vmtree.core.loader;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.cpu.MemorySystem;
import dev.vmtree.core.cpu.Timebase;
import dev.vmtree.core.devices.Clint;
import dev.vmtree.core.devices.DtNode;
import dev.vmtree.core.devices.Platform;
import dev.vmtree.core.mem.Bus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Builds a ready-to-run machine from a program, an optional firmware and an optional initrd.
 *
 * <p>Memory layout: ELF segments at their physical addresses; raw binaries at
 * {@link #RAW_MACHINE} (machine mode without firmware) or {@link #RAW_SUPERVISOR} (hypervisor mode,
 * or the payload of a firmware). The top {@link #BOOT_BLOCK} bytes of RAM hold the fw_dynamic_info
 * record (at the block's start) and the device tree (at +{@link #DTB_OFFSET}); the initrd sits
 * page-aligned right below that block.
 *
 * <p>Start state: hypervisor mode — hart 0 in S-mode at the entry with a0 = 0, a1 = DTB, the others
 * stopped until SBI HSM hart_start. Machine mode — every hart in M-mode at the entry with a0 =
 * hart id, a1 = DTB. Firmware — every hart in M-mode at the firmware entry with a0 = hart id, a1 =
 * DTB, a2 = fw_dynamic_info (OpenSBI fw_dynamic: version 2, next = the program in S-mode).
 */
public final class Boot {
    private Boot() {}

    public static final long RAW_MACHINE = Bus.RAM_BASE;
    public static final long RAW_SUPERVISOR = Bus.RAM_BASE + 0x20_0000L;
    public static final long BOOT_BLOCK = 64 * 1024;
    /** The least RAM {@link #boot} accepts: the boot block at the top and as much again below it. */
    public static final long MIN_MEMORY = 2 * BOOT_BLOCK;
    public static final long DTB_OFFSET = 0x100;
    public static final long FW_DYNAMIC_MAGIC = 0x4942534FL;
    public static final long FW_DYNAMIC_VERSION = 2;

    /** The files to boot; firmware and initrd may be null. Names are used in error messages. */
    public record Images(byte[] program, String programName, byte[] firmware, String firmwareName, byte[] initrd,
            String initrdName) {
        public static Images of(byte[] program) {
            return new Images(program, "program", null, null, null, null);
        }
    }

    /** A loaded image: where it starts and the highest byte it occupies. */
    private record Loaded(long entry, long start, long end, long tohost) {
        boolean overlaps(Loaded o) {
            return start < o.end && o.start < end;
        }
    }

    public static Machine boot(MachineConfig config, Console console, Images images) throws LoadException {
        checkMemory(config);
        return boot(new Machine(config, console), images);
    }

    /** Boots into a machine over a caller-provided RAM image (zeroed; for example one the store will persist). */
    public static Machine boot(MachineConfig config, dev.vmtree.cow.PagedImage ram, Console console, Images images)
            throws LoadException {
        checkMemory(config);
        return boot(new Machine(config, ram, console), images);
    }

    private static void checkMemory(MachineConfig config) throws LoadException {
        if (config.memoryBytes() < MIN_MEMORY) {
            throw new LoadException("memory too small: " + config.memoryBytes() + " bytes (need at least "
                    + MIN_MEMORY + ")");
        }
    }

    private static Machine boot(Machine machine, Images images) throws LoadException {
        MachineConfig config = machine.config();
        MemorySystem memory = machine.memory();
        long ramEnd = Bus.RAM_BASE + config.memoryBytes();
        long block = ramEnd - BOOT_BLOCK;
        boolean firmware = images.firmware() != null;
        Loaded fw = firmware ? load(images.firmware(), images.firmwareName(), RAW_MACHINE, memory, block) : null;
        long rawAt = config.machineMode() && !firmware ? RAW_MACHINE : RAW_SUPERVISOR;
        Loaded program = load(images.program(), images.programName(), rawAt, memory, block);
        if (fw != null && fw.overlaps(program)) {
            throw new LoadException(images.programName() + " overlaps the firmware " + images.firmwareName());
        }
        long tohost = program.tohost() >= 0 ? program.tohost() : fw != null ? fw.tohost() : -1;
        if (tohost >= 0) {
            if (!machine.bus().isRam(tohost, 8)) {
                throw new LoadException("tohost symbol 0x" + Long.toHexString(tohost) + " is not in RAM");
            }
            machine.enableHtif(tohost);
        }
        long initrdStart = 0, initrdEnd = 0;
        if (images.initrd() != null) {
            long len = images.initrd().length;
            initrdEnd = block;
            initrdStart = (block - len) & -Bus.PAGE_SIZE;
            long used = Math.max(program.end(), fw == null ? 0 : fw.end());
            if (initrdStart < used || initrdStart < Bus.RAM_BASE) {
                throw new LoadException("memory too small for the initrd " + images.initrdName() + " ("
                        + len + " bytes) above the loaded program");
            }
            memory.writeRam(initrdStart, images.initrd(), 0, images.initrd().length);
            initrdEnd = initrdStart + len;
        }
        long dtb = block + DTB_OFFSET;
        byte[] blob = deviceTree(config, machine.platform(), initrdStart, initrdEnd);
        if (blob.length > BOOT_BLOCK - DTB_OFFSET) {
            throw new LoadException("device tree too large: " + blob.length + " bytes");
        }
        memory.writeRam(dtb, blob, 0, blob.length);
        if (firmware) {
            byte[] info = fwDynamicInfo(program.entry());
            memory.writeRam(block, info, 0, info.length);
            for (Hart h : machine.harts()) {
                startMachineMode(h, fw.entry(), dtb);
                h.setReg(12, block);
            }
        } else if (config.machineMode()) {
            for (Hart h : machine.harts()) {
                startMachineMode(h, program.entry(), dtb);
            }
        } else {
            machine.hart(0).startSupervisor(program.entry(), 0, dtb);
        }
        return machine;
    }

    private static void startMachineMode(Hart h, long entry, long dtb) {
        h.setPrivilege(Hart.PRIV_M);
        h.setPc(entry);
        h.setReg(10, h.id);
        h.setReg(11, dtb);
    }

    private static Loaded load(byte[] file, String name, long rawAt, MemorySystem memory, long limit)
            throws LoadException {
        if (ElfLoader.isElf(file)) {
            ElfImage image = ElfLoader.parse(file, name);
            ElfLoader.load(image, file, memory, name);
            if (image.end() > limit) {
                throw new LoadException(name + " reaches into the top " + BOOT_BLOCK
                        + " bytes of RAM reserved for the device tree; give the machine more memory");
            }
            long start = image.segments().stream().mapToLong(ElfImage.Segment::physicalAddress).min().orElseThrow();
            return new Loaded(image.entry(), start, image.end(), image.tohost().orElse(-1));
        }
        if (file.length == 0) {
            throw new LoadException(name + ": empty file");
        }
        if (rawAt + file.length > limit) {
            throw new LoadException(String.format("memory too small: %s (%d bytes at 0x%x) does not fit below 0x%x",
                    name, file.length, rawAt, limit));
        }
        memory.writeRam(rawAt, file, 0, file.length);
        return new Loaded(rawAt, rawAt, rawAt + file.length, -1);
    }

    /** OpenSBI's struct fw_dynamic_info (RV64): magic, version, next_addr, next_mode, options, boot_hart. */
    static byte[] fwDynamicInfo(long next) {
        ByteBuffer b = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(FW_DYNAMIC_MAGIC).putLong(FW_DYNAMIC_VERSION).putLong(next).putLong(1 /* S-mode */)
                .putLong(0).putLong(-1L /* any hart may boot */);
        return b.array();
    }

    /**
     * The machine's device tree: memory, cpus (with their interrupt controllers), chosen (bootargs,
     * initrd, stdout-path = the UART), CLINT in M-mode, and the platform's syscon, PLIC, UART and
     * virtio nodes under the root.
     */
    public static byte[] deviceTree(MachineConfig config, Platform platform, long initrdStart, long initrdEnd) {
        DeviceTree t = new DeviceTree().begin("");
        t.cells("#address-cells", 2).cells("#size-cells", 2).string("compatible", "vmtree,virt")
                .string("model", "vmtree virtual machine");
        t.begin("chosen").string("bootargs", config.bootargs()).string("stdout-path", Platform.stdoutPath());
        if (initrdEnd > initrdStart) {
            t.longs("linux,initrd-start", initrdStart).longs("linux,initrd-end", initrdEnd);
        }
        t.end();
        t.begin("memory@" + Long.toHexString(Bus.RAM_BASE)).string("device_type", "memory")
                .longs("reg", Bus.RAM_BASE, config.memoryBytes()).end();
        t.begin("cpus").cells("#address-cells", 1).cells("#size-cells", 0)
                .cells("timebase-frequency", (int) Timebase.FREQUENCY_HZ);
        for (int i = 0; i < config.harts(); i++) {
            t.begin("cpu@" + i).string("device_type", "cpu").cells("reg", i).string("status", "okay")
                    .string("compatible", "riscv").string("riscv,isa", config.type().isa());
            if (config.type() != dev.vmtree.core.MachineType.VIRT_1) { // VIRT_1's tree stays byte for byte as it was
                t.string("riscv,isa-base", "rv64i")
                        .string("riscv,isa-extensions", config.type().extensions().toArray(String[]::new));
            }
            t.string("mmu-type", "riscv,sv48");
            t.begin("interrupt-controller").cells("#address-cells", 0).cells("#interrupt-cells", 1).empty("interrupt-controller")
                    .string("compatible", "riscv,cpu-intc").cells("phandle", intcPhandle(i)).end();
            t.end();
        }
        t.end();
        if (config.machineMode()) {
            int[] irqs = new int[config.harts() * 4];
            for (int i = 0; i < config.harts(); i++) {
                irqs[4 * i] = intcPhandle(i);
                irqs[4 * i + 1] = 3; // machine software interrupt
                irqs[4 * i + 2] = intcPhandle(i);
                irqs[4 * i + 3] = 7; // machine timer interrupt
            }
            t.begin("soc").cells("#address-cells", 2).cells("#size-cells", 2).string("compatible", "simple-bus")
                    .empty("ranges");
            t.begin("clint@" + Long.toHexString(Machine.CLINT_BASE))
                    .string("compatible", "sifive,clint0", "riscv,clint0")
                    .longs("reg", Machine.CLINT_BASE, Clint.SIZE).cells("interrupts-extended", irqs).end();
            t.end();
        }
        int[] intc = new int[config.harts()];
        for (int i = 0; i < intc.length; i++) {
            intc[i] = intcPhandle(i);
        }
        for (DtNode n : platform.deviceTreeNodes(intc)) {
            n.writeTo(t);
        }
        return t.end().toBlob(0);
    }

    /** Below {@link Platform#PLIC_PHANDLE}: at most 64 harts. */
    private static int intcPhandle(int hart) {
        return 1 + hart;
    }
}
