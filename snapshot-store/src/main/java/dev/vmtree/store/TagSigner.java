package dev.vmtree.store;

/**
 * Signs the bytes of a tag object: returns the armored signature (for SSH, the
 * {@code -----BEGIN SSH SIGNATURE-----} block) that is appended to them, as Git does.
 */
@FunctionalInterface
public interface TagSigner {
    byte[] sign(byte[] payload);
}
