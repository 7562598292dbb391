package dev.vmtree.dom0.policy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;

/**
 * One audit log line as JSON (docs/format.md "Audit log", version 1): a flat object
 * {@code {"v":1,"time","pid","user","op","instance","outcome","detail"}} written in that order. The
 * reader takes the fields in any order and skips fields it does not know (a later version 1 may add
 * some, of any JSON type); a line whose {@code v} is not 1, or that lacks a field, is refused.
 * Not thread-safe state: none (static functions).
 */
final class AuditLine {
    private AuditLine() {}

    static final int VERSION = 1;
    /** Longest detail text written; longer text is cut and ends in "...". */
    static final int MAX_DETAIL = 1000;
    /** Longest line read (far beyond any line this version writes). */
    static final int MAX_LINE = 64 * 1024;

    static String encode(AuditLog.Entry e) {
        String detail = e.detail().length() > MAX_DETAIL ? e.detail().substring(0, MAX_DETAIL - 3) + "..." : e.detail();
        StringBuilder sb = new StringBuilder(160).append("{\"v\":").append(VERSION).append(",\"time\":");
        quote(sb, e.time().toString());
        sb.append(",\"pid\":").append(e.pid()).append(",\"user\":");
        quote(sb, e.user());
        sb.append(",\"op\":");
        quote(sb, e.op());
        sb.append(",\"instance\":");
        if (e.instance() == null) {
            sb.append("null");
        } else {
            quote(sb, e.instance());
        }
        sb.append(",\"outcome\":");
        quote(sb, e.outcome().word());
        sb.append(",\"detail\":");
        quote(sb, detail);
        return sb.append('}').toString();
    }

    private static void quote(StringBuilder sb, String s) {
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
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** Decodes one line; IllegalArgumentException saying what is wrong. */
    static AuditLog.Entry decode(String line) {
        Map<String, Object> f = new Parser(line).object();
        Object v = f.get("v");
        if (!(v instanceof Long n)) {
            throw new IllegalArgumentException("no format version");
        }
        if (n != VERSION) {
            throw new IllegalArgumentException("format version " + n + ", this vmtree reads " + VERSION);
        }
        try {
            return new AuditLog.Entry(Instant.parse(string(f, "time", false)), number(f, "pid"), string(f, "user", false),
                    string(f, "op", false), string(f, "instance", true), AuditLog.Outcome.of(string(f, "outcome", false)),
                    string(f, "detail", false));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("bad time: " + e.getParsedString());
        }
    }

    private static String string(Map<String, Object> f, String name, boolean nullable) {
        Object o = f.get(name);
        if (o instanceof String s) {
            return s;
        }
        if (nullable && f.containsKey(name) && o == null) {
            return null;
        }
        throw new IllegalArgumentException(f.containsKey(name) ? "field " + name + " is not a string" : "no field " + name);
    }

    private static long number(Map<String, Object> f, String name) {
        if (f.get(name) instanceof Long n) {
            return n;
        }
        throw new IllegalArgumentException(f.containsKey(name) ? "field " + name + " is not a whole number" : "no field " + name);
    }

    /** A JSON reader for one object: its strings, whole numbers and null by name; anything else is skipped. */
    private static final class Parser {
        private static final Object SKIPPED = new Object();
        private final String s;
        private int at;

        Parser(String s) {
            this.s = s;
        }

        Map<String, Object> object() {
            Map<String, Object> out = new HashMap<>();
            space();
            expect('{');
            space();
            if (peek() == '}') {
                at++;
            } else {
                while (true) {
                    space();
                    String name = string();
                    space();
                    expect(':');
                    Object value = value(0);
                    if (value != SKIPPED) {
                        out.put(name, value);
                    }
                    space();
                    char c = next();
                    if (c == '}') {
                        break;
                    }
                    if (c != ',') {
                        throw bad("',' or '}' expected");
                    }
                }
            }
            space();
            if (at != s.length()) {
                throw bad("text after the object");
            }
            return out;
        }

        private Object value(int depth) {
            if (depth > 32) {
                throw bad("nested too deep");
            }
            space();
            char c = peek();
            switch (c) {
                case '"' -> {
                    return string();
                }
                case '{', '[' -> {
                    at++;
                    char close = c == '{' ? '}' : ']';
                    space();
                    if (peek() == close) {
                        at++;
                        return SKIPPED;
                    }
                    while (true) {
                        if (c == '{') {
                            space();
                            string();
                            space();
                            expect(':');
                        }
                        value(depth + 1);
                        space();
                        char n = next();
                        if (n == close) {
                            return SKIPPED;
                        }
                        if (n != ',') {
                            throw bad("',' or '" + close + "' expected");
                        }
                    }
                }
                default -> {
                    return literal();
                }
            }
        }

        private Object literal() {
            int start = at;
            while (at < s.length() && "+-0123456789.eEtruefalsn".indexOf(s.charAt(at)) >= 0) {
                at++;
            }
            String word = s.substring(start, at);
            switch (word) {
                case "null" -> {
                    return null;
                }
                case "true", "false" -> {
                    return SKIPPED;
                }
                default -> {
                    if (word.matches("-?(0|[1-9][0-9]{0,18})")) {
                        try {
                            return Long.parseLong(word);
                        } catch (NumberFormatException e) {
                            throw bad("number out of range");
                        }
                    }
                    if (word.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
                        return SKIPPED;
                    }
                    throw bad("a value expected");
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw bad("control character in a string");
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (at + 4 > s.length()) {
                            throw bad("short \\u escape");
                        }
                        try {
                            sb.append((char) Integer.parseInt(s.substring(at, at + 4), 16));
                        } catch (NumberFormatException x) {
                            throw bad("bad \\u escape");
                        }
                        at += 4;
                    }
                    default -> throw bad("bad escape \\" + e);
                }
            }
        }

        private void space() {
            while (at < s.length() && " \t\r".indexOf(s.charAt(at)) >= 0) {
                at++;
            }
        }

        private char peek() {
            if (at >= s.length()) {
                throw bad("the line ends early");
            }
            return s.charAt(at);
        }

        private char next() {
            char c = peek();
            at++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) {
                throw bad("'" + c + "' expected");
            }
        }

        private IllegalArgumentException bad(String what) {
            return new IllegalArgumentException(what + " at column " + (at + 1));
        }
    }
}
