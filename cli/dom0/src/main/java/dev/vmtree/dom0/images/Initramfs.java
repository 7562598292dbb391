package dev.vmtree.dom0.images;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The initramfs of an imported image (docs/linux.md): busybox as {@code /bin/busybox} with
 * {@code /bin/sh} linked to it (the init installs every other applet with {@code busybox --install
 * -s}), {@code /dev/console} (so the kernel can give init its console before devtmpfs is mounted),
 * the modules as {@code /lib/modules/RELEASE/NAME.ko} and the {@code /init} script below, which
 * mounts /proc, /sys and /dev, loads the modules in dependency order, mounts /dev/vda at /mnt when
 * it holds a filesystem and leaves a shell on the console, started again whenever it exits.
 */
public final class Initramfs {
    /** A module to load, in order: its name and its (uncompressed) ELF bytes. */
    public record Module(String name, byte[] ko) {}

    private Initramfs() {}

    /** The cpio entries, in the order the kernel should create them. */
    public static List<Cpio.Entry> entries(String imageName, String release, byte[] busybox, List<Module> modules) {
        List<Cpio.Entry> e = new ArrayList<>();
        for (String d : List.of("bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "mnt", "tmp", "root",
                "etc", "lib", "lib/modules", "lib/modules/" + release)) {
            e.add(Cpio.Entry.dir(d));
        }
        e.add(Cpio.Entry.charDevice("dev/console", 0600, 5, 1));
        e.add(Cpio.Entry.file("bin/busybox", 0755, busybox));
        e.add(Cpio.Entry.symlink("bin/sh", "busybox"));
        for (Module m : modules) {
            e.add(Cpio.Entry.file("lib/modules/" + release + "/" + m.name() + ".ko", 0644, m.ko()));
        }
        e.add(Cpio.Entry.file("etc/hostname", 0644, (imageName + "\n").getBytes(StandardCharsets.UTF_8)));
        e.add(Cpio.Entry.file("init", 0755, init(imageName, release, modules).getBytes(StandardCharsets.UTF_8)));
        return e;
    }

    /** The /init script. */
    static String init(String imageName, String release, List<Module> modules) {
        StringBuilder load = new StringBuilder();
        for (Module m : modules) {
            load.append(' ').append(m.name());
        }
        return """
                #!/bin/sh
                # /init of vmtree image '%1$s' (written by `vmtree image import-deb`; docs/linux.md)
                /bin/busybox --install -s
                export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/root
                mount -t proc proc /proc
                mount -t sysfs sysfs /sys
                mount -t devtmpfs devtmpfs /dev
                hostname -F /etc/hostname
                # dependencies first (from each module's .modinfo; Debian ships no modules.dep)
                for m in%2$s; do
                  insmod /lib/modules/%3$s/$m.ko || echo "init: cannot load module $m"
                done
                # a virtio block device (id 2) becomes /dev/vda shortly after its driver binds
                n=0
                if grep -qx 0x0002 /sys/bus/virtio/devices/*/device 2>/dev/null; then
                  while [ ! -b /dev/vda ] && [ $n -lt 50 ]; do n=$((n + 1)); sleep 0.1; done
                fi
                if [ -b /dev/vda ]; then
                  if mount /dev/vda /mnt 2>/dev/null; then
                    echo "init: /dev/vda mounted at /mnt"
                  else
                    echo "init: /dev/vda holds no filesystem Linux can mount; not mounted"
                  fi
                fi
                export PS1='%1$s:\\w# '
                echo "init: %1$s ready (busybox sh; poweroff -f powers off)"
                while :; do
                  setsid cttyhack /bin/sh
                done
                """.formatted(imageName, load, release);
    }
}
