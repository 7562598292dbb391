package dev.vmtree.core.devices;

/** Whether Debian's dtc can be run here (the dtc tests fail in CI without it and skip elsewhere). */
final class DeviceTreeFragmentsTestSupport {
    private DeviceTreeFragmentsTestSupport() {}

    static boolean haveDtc() {
        try {
            Process p = new ProcessBuilder("dtc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
