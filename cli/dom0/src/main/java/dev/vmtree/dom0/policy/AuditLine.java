package dev.vmtree.dom0.policy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import dev.vmtree.dom0.service.Json;
import java.util.Map;

/**
 * One audit log line as JSON (docs/format.md "Audit log", version 1): a flat object
 * {@code {"v":1,"time","pid","user","op","instance","outcome","detail"}} written in that order, with the
 * control protocol's JSON ({@link Json}). The reader takes the fields in any order and skips fields it
 * does not know (a later version 1 may add some, of any JSON type); a line whose {@code v} is not 1, or
 * that lacks a field, is refused.
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
        return Json.write(Json.object("v", (long) VERSION, "time", e.time().toString(), "pid", e.pid(), "user", e.user(),
                "op", e.op(), "instance", e.instance(), "outcome", e.outcome().word(), "detail", detail));
    }

    /** Decodes one line; IllegalArgumentException saying what is wrong. */
    static AuditLog.Entry decode(String line) {
        Map<String, Object> f = Json.parseObject(line);
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
}
