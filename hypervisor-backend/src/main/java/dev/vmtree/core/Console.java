package dev.vmtree.core;

/**
 * The host side of the guest's console: bytes out (UART, SBI putchar/DBCN write, HTIF) and host
 * bytes in. The machine never reads it directly: input goes through its ExternalInput (by default
 * a LiveInput over this console), which stamps and logs every byte. Called on the machine's
 * thread; {@link #read()} must not block.
 */
public interface Console {

    void write(int b);

    /** The next input byte, or -1 when none is waiting. */
    int read();

    default void flush() {}

    /**
     * Blocks until {@link #read()} may have a byte (true) or no input will ever come (false, the
     * default: a console with nothing to wait for). Called only when the guest can do nothing but
     * wait for input; an interactive console blocks here on the terminal.
     */
    default boolean awaitInput() {
        return false;
    }

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
