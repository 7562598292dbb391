package dev.vmtree.core.state;

import dev.vmtree.cow.FrozenImage;
import dev.vmtree.cow.disk.DiskSnapshot;
import dev.vmtree.cow.store.StoredImage;
import dev.vmtree.store.PageTree;
import dev.vmtree.store.PageTreeRoot;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A whole machine frozen at one instant (ARCHITECTURE.md Vocabulary): its {@link ExecutionState}
 * plus RAM and every disk as frozen copy-on-write images. Taking one copies no page; the machine
 * runs on and pays one page copy per page it writes afterwards. Immutable and safe to read from
 * any thread (frozen images are).
 */
public record MachineState(ExecutionState execution, FrozenImage ram, List<DiskSnapshot> disks) {

    public MachineState {
        Objects.requireNonNull(execution, "execution");
        Objects.requireNonNull(ram, "ram");
        disks = List.copyOf(disks);
        if (ram.size() != execution.layout().memoryBytes()) {
            throw new IllegalArgumentException("RAM image has " + ram.size() + " bytes, layout says "
                    + execution.layout().memoryBytes());
        }
        if (disks.size() != execution.layout().disks().size()) {
            throw new IllegalArgumentException("state has " + disks.size() + " disks, layout " + execution.layout().disks().size());
        }
    }

    public long instructions() {
        return execution.instructions();
    }

    /** The PageTree roots of RAM then each disk: from the store when the image came from it, else computed. */
    public List<PageTreeRoot> imageRoots() {
        List<PageTreeRoot> roots = new ArrayList<>();
        roots.add(root(ram));
        for (DiskSnapshot d : disks) {
            roots.add(root(d.blocks()));
        }
        return roots;
    }

    /** The StateId (docs/format.md): SHA-256 over the execution state's encoding and the image roots. */
    public String stateId() {
        return StateIds.of(StateCodec.encode(execution), imageRoots());
    }

    static PageTreeRoot root(FrozenImage image) {
        if (image instanceof StoredImage s) {
            return s.root();
        }
        return PageTree.digest(image.size(), image.pageSize(), i -> image.isZeroPage(i) ? null : image.page(i));
    }
}
