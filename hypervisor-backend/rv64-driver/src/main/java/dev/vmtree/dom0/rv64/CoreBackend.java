package dev.vmtree.dom0.rv64;

import dev.vmtree.core.cpu.Engine;
import dev.vmtree.dom0.Backend;
import dev.vmtree.dom0.Capability;
import dev.vmtree.dom0.MachineDriver;
import java.util.Set;

/** The embedded RV64 core as a {@link Backend}: registered in META-INF/services, found by Dom0 by its name. */
public final class CoreBackend implements Backend {

    @Override
    public String name() {
        return CoreDriver.NAME;
    }

    @Override
    public Set<Capability> capabilities() {
        return CoreDriver.CAPABILITIES;
    }

    @Override
    public String defaultEngine() {
        return Engine.DEFAULT.label();
    }

    @Override
    public String engine(String word) {
        return Engine.parse(word).label();
    }

    @Override
    public MachineDriver driver(String engine) {
        return new CoreDriver(Engine.parse(engine));
    }
}
