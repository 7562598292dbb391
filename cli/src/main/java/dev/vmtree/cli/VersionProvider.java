package dev.vmtree.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the product version from the jar manifest (or "development" when run from classes). */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = VmtreeCommand.class.getPackage().getImplementationVersion();
        return new String[] {"vmtree " + (v == null ? "development" : v), "Java " + Runtime.version()};
    }
}
