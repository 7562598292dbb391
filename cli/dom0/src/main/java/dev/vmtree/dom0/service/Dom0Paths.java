package dev.vmtree.dom0.service;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where a repository's Dom0 daemon keeps its files, all under {@code .vmtree/dom0/} (mode 0700,
 * the repository owner's only): {@code socket} (the control socket, mode 0600), {@code lock} (held
 * by the live daemon: a socket whose lock nobody holds is stale), {@code pid}, {@code daemon.log}
 * (what the daemon printed), {@code console/NAME.log} (each background instance's console
 * history) and {@code exits/NAME} (how its last background run ended). A socket path longer than
 * {@value #MAX_SOCKET_PATH} bytes does not fit the kernel's sockaddr_un; such a repository's socket
 * is {@code /tmp/vmtree-UID/HASH.sock} instead (directory mode 0700), HASH from the repository's path.
 */
public record Dom0Paths(Path top, Path dir) {
    static final int MAX_SOCKET_PATH = 100;

    public static Dom0Paths of(Path top) {
        Path t = top.toAbsolutePath().normalize();
        return new Dom0Paths(t, t.resolve(".vmtree").resolve("dom0"));
    }

    public Path socket() {
        Path inRepo = dir.resolve("socket");
        if (inRepo.toString().getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH) {
            return inRepo;
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(top.toString().getBytes(StandardCharsets.UTF_8));
            String uid = String.valueOf(new com.sun.security.auth.module.UnixSystem().getUid());
            return Path.of(System.getProperty("java.io.tmpdir"), "vmtree-" + uid,
                    HexFormat.of().formatHex(h, 0, 8) + ".sock");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path lock() {
        return dir.resolve("lock");
    }

    public Path pid() {
        return dir.resolve("pid");
    }

    public Path log() {
        return dir.resolve("daemon.log");
    }

    public Path consoleDir() {
        return dir.resolve("console");
    }

    /** The console history of instance {@code name} (the current file; an older one is {@code FILE.1}). */
    public Path console(String name) {
        return consoleDir().resolve(name + ".log");
    }

    /** The older history file beside {@code history} ({@code FILE.1}), where a full one is moved. */
    public static Path older(Path history) {
        return history.resolveSibling(history.getFileName() + ".1");
    }

    public Path exitDir() {
        return dir.resolve("exits");
    }

    public Path exit(String name) {
        return exitDir().resolve(name);
    }
}
