package dev.vmtree.cli;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A tiny streaming JSON writer for {@code --json} output (no reflection, no library): objects,
 * arrays, strings, numbers, booleans and null, written compactly in call order. Misuse (a value
 * where a name is due) throws IllegalStateException, so a wrong schema fails in tests.
 */
final class Json {
    private final StringBuilder sb = new StringBuilder();
    /** Per open container: 'o' object expecting a name, 'v' object expecting a value, 'a' array; plus "first" flags. */
    private final Deque<char[]> stack = new ArrayDeque<>();

    Json beginObject() {
        beforeValue();
        sb.append('{');
        stack.push(new char[] {'o', 1});
        return this;
    }

    Json endObject() {
        char[] top = stack.pop();
        if (top[0] != 'o') {
            throw new IllegalStateException("endObject without an open object awaiting a name");
        }
        sb.append('}');
        return this;
    }

    Json beginArray() {
        beforeValue();
        sb.append('[');
        stack.push(new char[] {'a', 1});
        return this;
    }

    Json endArray() {
        if (stack.isEmpty() || stack.pop()[0] != 'a') {
            throw new IllegalStateException("endArray without an open array");
        }
        sb.append(']');
        return this;
    }

    Json name(String name) {
        char[] top = stack.peek();
        if (top == null || top[0] != 'o') {
            throw new IllegalStateException("name outside an object");
        }
        if (top[1] == 0) {
            sb.append(',');
        }
        top[1] = 0;
        top[0] = 'v';
        quote(name);
        sb.append(':');
        return this;
    }

    Json value(String s) {
        beforeValue();
        if (s == null) {
            sb.append("null");
        } else {
            quote(s);
        }
        return this;
    }

    Json value(long n) {
        beforeValue();
        sb.append(n);
        return this;
    }

    Json value(double d) {
        beforeValue();
        sb.append(Double.isFinite(d) ? Double.toString(d) : "null");
        return this;
    }

    Json value(boolean b) {
        beforeValue();
        sb.append(b);
        return this;
    }

    /** Shorthand for {@code name(n).value(v)}. */
    Json field(String n, String v) {
        return name(n).value(v);
    }

    Json field(String n, long v) {
        return name(n).value(v);
    }

    Json field(String n, boolean v) {
        return name(n).value(v);
    }

    private void beforeValue() {
        char[] top = stack.peek();
        if (top == null) {
            if (!sb.isEmpty()) {
                throw new IllegalStateException("a second top-level value");
            }
            return;
        }
        switch (top[0]) {
            case 'v' -> top[0] = 'o';
            case 'a' -> {
                if (top[1] == 0) {
                    sb.append(',');
                }
                top[1] = 0;
            }
            default -> throw new IllegalStateException("a value where a name is due");
        }
    }

    private void quote(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    @Override
    public String toString() {
        if (!stack.isEmpty()) {
            throw new IllegalStateException("unclosed JSON container");
        }
        return sb.toString();
    }
}
