package dev.vmtree.dom0.images;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@link TestDebs} for tests in other packages. */
public final class TestDebsAccess {
    public static final String RELEASE = TestDebs.RELEASE;

    private TestDebsAccess() {}

    public static byte[] kernelDeb() {
        return TestDebs.kernelDeb();
    }

    public static byte[] busyboxDeb() {
        return TestDebs.busyboxDeb();
    }

    /** A kernel package with one extra file at {@code path}. */
    public static byte[] deb(String path, String content) {
        Map<String, byte[]> f = new LinkedHashMap<>(TestDebs.kernelFiles());
        f.put(path, content.getBytes(StandardCharsets.UTF_8));
        return TestDebs.deb(f);
    }

    /** A kernel package whose vmlinux is an ARM64 Image. */
    public static byte[] armKernelDeb() {
        Map<String, byte[]> f = new LinkedHashMap<>(TestDebs.kernelFiles());
        byte[] arm = new byte[4096];
        java.nio.ByteBuffer.wrap(arm).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0x38, 0x644d5241);
        f.put("./boot/vmlinux-" + RELEASE, arm);
        return TestDebs.deb(f);
    }
}
