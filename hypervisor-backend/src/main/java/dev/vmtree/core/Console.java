package dev.vmtree.core;

/**
 * The guest's console as the hypervisor sees it: bytes out (SBI putchar/DBCN write, HTIF), bytes in
 * (SBI getchar/DBCN read). Called on the machine's thread; {@link #read()} must not block.
 */
public interface Console {

    void write(int b);

    /** The next input byte, or -1 when none is waiting. */
    int read();

    default void flush() {}

    /** A console that discards output and has no input. */
    Console NONE = new Console() {
        @Override
        public void write(int b) {}

        @Override
        public int read() {
            return -1;
        }
    };
}
