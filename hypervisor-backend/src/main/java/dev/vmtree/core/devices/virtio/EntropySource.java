package dev.vmtree.core.devices.virtio;

/**
 * Where {@link VirtioRng} gets its bytes. The Machine implements it over an input queue whose
 * entries it stamped with instruction counts and logged, so a replay supplies the same bytes at the
 * same moments. Must be deterministic given its inputs; never called off the machine thread.
 */
@FunctionalInterface
public interface EntropySource {

    /** Fills up to {@code len} bytes of {@code dst} from {@code off}; returns how many (0 when none is available now). */
    int fill(byte[] dst, int off, int len);
}
