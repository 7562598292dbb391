package dev.vmtree.core.devices;

/**
 * What the {@link Plic} drives: the external-interrupt pending bit of one hart in one privilege
 * mode. The Machine implements it as {@code hart(h).setPending(supervisor ? SEIP : MEIP, level)}
 * (mip bit 9 or 11). PLIC context {@code 2h} is hart h's M mode, {@code 2h + 1} its S mode.
 * Called only from the thread that runs the machine.
 */
@FunctionalInterface
public interface ExternalInterrupts {

    void setExternal(int hart, boolean supervisor, boolean level);
}
