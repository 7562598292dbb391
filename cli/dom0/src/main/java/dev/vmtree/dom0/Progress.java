package dev.vmtree.dom0;

import java.util.function.LongSupplier;

/**
 * How the toolstack reports work that can take a while (storing a large image, gc, import): a
 * front end shows a progress line; a daemon might log. {@link #NONE} shows nothing.
 */
@FunctionalInterface
public interface Progress {

    /** One piece of work; closing it ends the report. */
    interface Task extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Starts reporting {@code label}; {@code done} (may be null) counts units finished so far,
     * named {@code unit}. Called on the working thread; {@code done} is read from another.
     */
    Task begin(String label, String unit, LongSupplier done);

    Progress NONE = (label, unit, done) -> () -> {};
}
