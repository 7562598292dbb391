package dev.vmtree.cli;

import dev.vmtree.dom0.GenerationId;
import dev.vmtree.dom0.ImageCatalog;
import dev.vmtree.dom0.MachineDriver;
import dev.vmtree.dom0.MachineDriver.MachineSpec;
import dev.vmtree.dom0.Machines;
import dev.vmtree.dom0.Mkfs;
import dev.vmtree.dom0.MachineValues;
import dev.vmtree.dom0.Toolstack;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmtree create NAME ...}: define a machine, snapshot it, branch and instance NAME on it. */
@Command(name = "create", mixinStandardHelpOptions = true,
        description = {"Define a machine: boot a kernel (or a built-in image, see `vmtree image list`) into fresh"
                + " RAM, store that as a root snapshot, create branch NAME there with an instance NAME on it,"
                + " and make it the current instance. With --from, start instead from an existing snapshot.",
            "Nothing runs yet: `vmtree run` starts the guest."},
        footer = {"", "Examples:", "  vmtree create kv --image kvshell",
            "  vmtree create linux --kernel Image --initrd rootfs.cpio --memory 512M \\",
            "      --harts 2 --append console=ttyS0",
            "  vmtree create web --kernel kernel.elf --disk-image debian.qcow2",
            "  vmtree create vm --image debian --disk-size 64M --mkfs ext4", "  vmtree create trial --from kv~2",
            "  vmtree create repro --image kvshell --clock-base 2026-01-01T00:00:00Z"})
public final class CreateCommand implements Callable<Integer>, JsonOutput {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "Name of the new branch and instance.")
    String name;

    @Option(names = "--from", paramLabel = "REF", description = "Start from this snapshot instead of booting a kernel.")
    String from;

    @Option(names = "--kernel", paramLabel = "FILE", description = "An ELF or raw RISC-V kernel, run in S-mode under"
            + " the hypervisor's SBI (or as the payload of --firmware).")
    Path kernel;

    @Option(names = "--image", paramLabel = "IMAGE", description = "A built-in image or one imported into this"
            + " repository (see `vmtree image list`).")
    String image;

    @Option(names = "--firmware", paramLabel = "FILE", description = "M-mode firmware (OpenSBI fw_dynamic) to boot first.")
    Path firmware;

    @Option(names = "--initrd", paramLabel = "FILE", description = "An initial RAM disk named in the device tree.")
    Path initrd;

    @Option(names = "--memory", paramLabel = "SIZE", description = "RAM, e.g. 64M, 1G (default: config machine.memory).")
    String memory;

    @Option(names = "--harts", paramLabel = "N", description = "Number of harts (default: config machine.harts).")
    Integer harts;

    @Option(names = "--disk-size", paramLabel = "SIZE", description = "Attach an empty virtio disk of this size.")
    String diskSize;

    @Option(names = "--disk-image", paramLabel = "FILE",
            description = "Attach a virtio disk imported from FILE (raw or qcow2, detected).")
    Path diskImage;

    @Option(names = "--append", paramLabel = "ARGS", description = "Kernel command line (device tree /chosen bootargs;"
            + " an imported image has its own default, e.g. console=ttyS0).")
    String append;

    @Option(names = "--mkfs", paramLabel = "TYPE", description = "Format the new disk (--disk-size, or the image's"
            + " default disk) with this file system through the host's mke2fs: ext4, ext3 or ext2.")
    String mkfs;

    @Option(names = "--clock-base", paramLabel = "TIME", description = "What the guest's real-time clock reads at"
            + " instruction 0 (it then advances with virtual time, so replay stays exact): an ISO-8601 instant"
            + " (2026-01-01T00:00:00Z), a date (2026-01-01, midnight UTC), @SECONDS since the epoch, or now."
            + " Default: the host clock now. Stored with the machine.")
    String clockBase;

    @Override
    public Integer call() {
        try (Toolstack ts = Dom0Cli.open(spec)) {
            Machines machines = ts.machines();
            Machines.Created c;
            if (from != null) {
                if (kernel != null || image != null || firmware != null || initrd != null || memory != null
                        || harts != null || diskSize != null || diskImage != null || append != null
                        || clockBase != null || mkfs != null) {
                    throw new CliException(ExitCodes.USAGE, "--from takes the machine as it is: no --kernel, --image,"
                            + " --memory or other machine options");
                }
                c = machines.createFrom(name, from);
            } else {
                MachineSpec s = spec(ts);
                if (mkfs == null) {
                    c = machines.create(name, s);
                } else {
                    Path formatted = Mkfs.format(ts.repository().storeDirectory(), mkfs, s.diskBytes());
                    try {
                        c = machines.create(name, new MachineSpec(s.memoryBytes(), s.harts(), s.kernel(), s.boot(),
                                s.firmware(), s.initrd(), 0, formatted, s.bootargs(), s.clockBase(), s.generationId()));
                    } finally {
                        try {
                            java.nio.file.Files.deleteIfExists(formatted);
                        } catch (java.io.IOException ignored) {
                            // a .tmp file: gc removes it
                        }
                    }
                }
            }
            if (Dom0Cli.json(spec)) {
                Dom0Cli.printJson(spec, new Json().beginObject().field("instance", name).field("branch", name)
                        .field("snapshot", c.snapshot().hex()).field("state", c.state().hex()).endObject());
            } else {
                Dom0Cli.say(spec, "created " + name + ": snapshot " + c.snapshot().shortHex() + ", state "
                        + c.state().shortHex() + "; branch " + name + " with instance " + name + " (current)");
            }
            return ExitCodes.OK;
        }
    }

    private MachineSpec spec(Toolstack ts) {
        if ((kernel == null) == (image == null)) {
            throw new CliException(ExitCodes.USAGE, "give exactly one of --kernel FILE and --image IMAGE"
                    + " (see `vmtree image list`), or --from REF");
        }
        if (diskSize != null && diskImage != null) {
            throw new CliException(ExitCodes.USAGE, "give at most one of --disk-size and --disk-image");
        }
        if (mkfs != null) {
            Mkfs.checkType(mkfs);
            if (diskImage != null) {
                throw new CliException(ExitCodes.USAGE, "--mkfs formats a new disk: give --disk-size, not --disk-image");
            }
        }
        Path program = kernel;
        Path ramdisk = initrd;
        String bootargs = append;
        MachineDriver.Boot boot = MachineDriver.Boot.SUPERVISOR_ELF;
        long disk = 0;
        long imageMemory = 0;
        if (image != null) {
            ImageCatalog.Image img = ts.images().catalog().resolve(image);
            program = img.path();
            boot = img.boot();
            disk = img.defaultDiskBytes();
            if (ramdisk == null) {
                ramdisk = img.initrd();
            }
            if (bootargs == null) {
                bootargs = img.bootargs();
            }
            imageMemory = img.memoryBytes();
        }
        long mem = memory != null ? MachineValues.memory("--memory", memory)
                : imageMemory != 0 ? imageMemory : ts.settings().defaultMemory();
        int n = harts == null ? ts.settings().defaultHarts() : MachineValues.harts("--harts", harts);
        if (diskSize != null) {
            disk = MachineValues.diskSize("--disk-size", diskSize);
        }
        if (diskImage != null) {
            disk = 0;
        }
        if (mkfs != null && disk == 0) {
            throw new CliException(ExitCodes.USAGE, "--mkfs needs a disk to format: give --disk-size SIZE");
        }
        long clock = MachineValues.clockBase("--clock-base", clockBase == null ? "now" : clockBase);
        return new MachineSpec(mem, n, program, boot, firmware, ramdisk, disk, diskImage, bootargs, clock,
                GenerationId.random().bytes());
    }
}
