package dev.vmtree.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The few JSON values of the Dom0 control protocol's "cli" op (docs/dom0-protocol.md): one
 * document per line, read into maps, lists, strings, longs, booleans and null, and written from
 * the same. Plain java.base, because the short-command client ({@link Launcher}) must not load
 * anything else. Strict: trailing garbage, bad escapes and nesting deeper than 32 are errors
 * ({@link IllegalArgumentException}); numbers are integers (the protocol has no others).
 */
final class WireJson {
    private static final int MAX_DEPTH = 32;

    private final String s;
    private int at;

    private WireJson(String s) {
        this.s = s;
    }

    /** The value of one JSON document. */
    static Object parse(String text) {
        WireJson p = new WireJson(text);
        Object v = p.value(0);
        p.space();
        if (p.at != text.length()) {
            throw p.error("trailing characters");
        }
        return v;
    }

    /** The object of one JSON document (an error when it is anything else). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(String text) {
        if (!(parse(text) instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        return (Map<String, Object>) m;
    }

    /** {@code value} as compact JSON: maps (string keys), lists, strings, numbers, booleans, null. */
    static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    // instanceof rather than a pattern switch, and no string concatenation on the client's path:
    // their first bootstrap costs a cold JVM milliseconds (docs/cli.md, "Short commands and the daemon")
    private static void write(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String str) {
            string(sb, str);
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            sb.append(v);
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (var e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(sb, (String) e.getKey());
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(sb, l.get(i));
            }
            sb.append(']');
        } else {
            throw new IllegalArgumentException("no JSON for ".concat(v.getClass().getName()));
        }
    }

    private static void string(StringBuilder sb, String str) {
        sb.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        String hex = Integer.toHexString(c);
                        sb.append("\\u").append("0000", hex.length(), 4).append(hex);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested too deeply");
        }
        space();
        if (at >= s.length()) {
            throw error("value expected");
        }
        char c = s.charAt(at);
        switch (c) {
            case '{' -> {
                at++;
                Map<String, Object> m = new LinkedHashMap<>();
                space();
                if (peek('}')) {
                    return m;
                }
                do {
                    space();
                    if (at >= s.length() || s.charAt(at) != '"') {
                        throw error("member name expected");
                    }
                    String k = string();
                    space();
                    expect(':');
                    if (m.put(k, value(depth + 1)) != null || m.size() > 1024) {
                        throw error(m.size() > 1024 ? "too many members" : "duplicate member " + k);
                    }
                    space();
                } while (peek(','));
                expect('}');
                return m;
            }
            case '[' -> {
                at++;
                List<Object> l = new ArrayList<>();
                space();
                if (peek(']')) {
                    return l;
                }
                do {
                    l.add(value(depth + 1));
                    space();
                } while (peek(','));
                expect(']');
                return l;
            }
            case '"' -> {
                return string();
            }
            default -> {
                if (s.startsWith("true", at)) {
                    at += 4;
                    return Boolean.TRUE;
                }
                if (s.startsWith("false", at)) {
                    at += 5;
                    return Boolean.FALSE;
                }
                if (s.startsWith("null", at)) {
                    at += 4;
                    return null;
                }
                return number();
            }
        }
    }

    private Long number() {
        int start = at;
        if (at < s.length() && s.charAt(at) == '-') {
            at++;
        }
        while (at < s.length() && s.charAt(at) >= '0' && s.charAt(at) <= '9') {
            at++;
        }
        try {
            return Long.parseLong(s, start, at, 10);
        } catch (NumberFormatException e) {
            at = start;
            throw error("value expected");
        }
    }

    private String string() {
        at++;   // the opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (at >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(at++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw error("control character in string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (at >= s.length()) {
                throw error("unterminated string");
            }
            char e = s.charAt(at++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (at + 4 > s.length()) {
                        throw error("bad \\u escape");
                    }
                    try {
                        sb.append((char) Integer.parseInt(s, at, at + 4, 16));
                    } catch (NumberFormatException x) {
                        throw error("bad \\u escape");
                    }
                    at += 4;
                }
                default -> throw error("bad escape \\" + e);
            }
        }
    }

    private void space() {
        while (at < s.length() && (s.charAt(at) == ' ' || s.charAt(at) == '\t' || s.charAt(at) == '\n'
                || s.charAt(at) == '\r')) {
            at++;
        }
    }

    private boolean peek(char c) {
        if (at < s.length() && s.charAt(at) == c) {
            at++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!peek(c)) {
            throw error("'" + c + "' expected");
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("bad JSON at offset " + at + ": " + what);
    }
}
