package dev.vmtree.core.devices;

import dev.vmtree.core.loader.DeviceTree;
import java.util.ArrayList;
import java.util.List;

/**
 * A device's device-tree fragment as plain data: node name ({@code name@unit}), properties in order
 * and child nodes. Immutable; each {@code with}-style call returns a new node. {@link #writeTo}
 * emits it through the FDT writer, so the generator only has to place fragments under the root.
 * Addresses use two cells (the root's {@code #address-cells = #size-cells = 2}).
 */
public record DtNode(String name, List<Prop> props, List<DtNode> children) {

    /** One property value in the form the FDT writer takes. */
    public sealed interface Prop {
        String name();
    }

    public record Strings(String name, List<String> values) implements Prop {
        public Strings {
            values = List.copyOf(values);
        }
    }

    public record Cells(String name, List<Integer> values) implements Prop {
        public Cells {
            values = List.copyOf(values);
        }
    }

    public record Longs(String name, List<Long> values) implements Prop {
        public Longs {
            values = List.copyOf(values);
        }
    }

    public record Empty(String name) implements Prop {}

    public DtNode {
        props = List.copyOf(props);
        children = List.copyOf(children);
    }

    /** A node named {@code name@<hex address>} with no properties yet. */
    public static DtNode at(String name, long unitAddress) {
        return named(name + "@" + Long.toHexString(unitAddress));
    }

    public static DtNode named(String fullName) {
        return new DtNode(fullName, List.of(), List.of());
    }

    public DtNode strings(String prop, String... values) {
        return with(new Strings(prop, List.of(values)));
    }

    public DtNode cells(String prop, int... values) {
        List<Integer> l = new ArrayList<>();
        for (int v : values) {
            l.add(v);
        }
        return with(new Cells(prop, l));
    }

    public DtNode longs(String prop, long... values) {
        List<Long> l = new ArrayList<>();
        for (long v : values) {
            l.add(v);
        }
        return with(new Longs(prop, l));
    }

    public DtNode empty(String prop) {
        return with(new Empty(prop));
    }

    public DtNode child(DtNode node) {
        List<DtNode> l = new ArrayList<>(children);
        l.add(node);
        return new DtNode(name, props, l);
    }

    private DtNode with(Prop p) {
        List<Prop> l = new ArrayList<>(props);
        l.add(p);
        return new DtNode(name, l, children);
    }

    /** The property called {@code prop}, or null. */
    public Prop prop(String prop) {
        return props.stream().filter(p -> p.name().equals(prop)).findFirst().orElse(null);
    }

    /** Writes this node and its children as one subtree at the writer's current position. */
    public void writeTo(DeviceTree t) {
        t.begin(name);
        for (Prop p : props) {
            switch (p) {
                case Strings s -> t.string(s.name(), s.values().toArray(String[]::new));
                case Cells c -> t.cells(c.name(), c.values().stream().mapToInt(Integer::intValue).toArray());
                case Longs l -> t.longs(l.name(), l.values().stream().mapToLong(Long::longValue).toArray());
                case Empty e -> t.empty(e.name());
            }
        }
        for (DtNode c : children) {
            c.writeTo(t);
        }
        t.end();
    }
}
