package dev.vmtree.dom0;

import dev.vmtree.dom0.MachineDriver.LiveMachine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What `vmtree bisect --run` looks for in a machine (docs/cli.md, "bisect"): a value in memory, a
 * register, or text the guest printed. Memory and register conditions are properties of a state
 * and can be tested on any snapshot; console conditions are about the output since the search
 * began, so they are followed by replaying. Immutable.
 */
public sealed interface Condition {

    /** The condition as the user should read it back. */
    String text();

    /** {@code memN ADDR ==|!= VALUE}: the little-endian {@code width}-byte value at a guest-physical address. */
    record Memory(String text, long address, int width, boolean equal, long value) implements Condition {
        public boolean holds(LiveMachine m) {
            byte[] b = m.readMemory(address, width);
            long v = switch (width) {
                case 1 -> b[0] & 0xFFL;
                case 2 -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFFL;
                case 4 -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFF_FFFFL;
                default -> ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
            };
            long mask = width == 8 ? -1L : (1L << (8 * width)) - 1;
            return (v == (value & mask)) == equal;
        }
    }

    /** {@code reg [HART:]NAME ==|!= VALUE}: a register of one hart (hart 0 unless named). */
    record Register(String text, int hart, String key, boolean equal, long value) implements Condition {
        public boolean holds(LiveMachine m) {
            Long v = m.registers(hart).get(key);
            return v != null && (v == value) == equal;
        }
    }

    /** {@code console contains TEXT}: the guest has printed TEXT since the search began. */
    record ConsoleOutput(String text, String wanted) implements Condition {}

    Pattern MEMORY = Pattern.compile("mem(8|16|32|64)?\\s+(\\S+)\\s*(==|!=)\\s*(\\S+)");
    Pattern REGISTER = Pattern.compile("reg\\s+(?:([0-9]+):)?([A-Za-z0-9]+)\\s*(==|!=)\\s*(\\S+)");
    Pattern CONSOLE = Pattern.compile("console\\s+contains\\s+(.+)", Pattern.DOTALL);

    /** Parses a condition; BAD_INPUT naming the accepted forms when it is not one. */
    static Condition parse(String s, MachineDriver driver) {
        String t = s == null ? "" : s.strip();
        Matcher m = MEMORY.matcher(t);
        if (m.matches()) {
            int bits = m.group(1) == null ? 64 : Integer.parseInt(m.group(1));
            return new Memory(t, number(m.group(2)), bits / 8, m.group(3).equals("=="), number(m.group(4)));
        }
        m = REGISTER.matcher(t);
        if (m.matches()) {
            int hart = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
            return new Register(t, hart, driver.registerKey(m.group(2)), m.group(3).equals("=="), number(m.group(4)));
        }
        m = CONSOLE.matcher(t);
        if (m.matches()) {
            String wanted = m.group(1).strip();
            if (wanted.length() >= 2 && (wanted.startsWith("'") && wanted.endsWith("'")
                    || wanted.startsWith("\"") && wanted.endsWith("\""))) {
                wanted = wanted.substring(1, wanted.length() - 1);
            }
            if (wanted.isEmpty()) {
                throw ToolstackException.badInput("console contains: empty text");
            }
            return new ConsoleOutput(t, wanted);
        }
        throw ToolstackException.badInput("bad condition '" + s + "' (one of: 'mem[8|16|32|64] ADDR == VALUE',"
                + " 'reg [HART:]NAME == VALUE', 'console contains TEXT'; != for not equal)");
    }

    private static long number(String s) {
        try {
            String n = s.toLowerCase(Locale.ROOT).replace("_", "");
            if (n.startsWith("0x")) {
                if (n.length() == 2 || n.length() > 18) {
                    throw new NumberFormatException();
                }
                return Long.parseUnsignedLong(n.substring(2), 16);
            }
            return n.startsWith("-") ? Long.parseLong(n) : Long.parseUnsignedLong(n);
        } catch (NumberFormatException e) {
            throw ToolstackException.badInput("bad number '" + s + "' in the condition (0x hex or decimal)");
        }
    }
}
