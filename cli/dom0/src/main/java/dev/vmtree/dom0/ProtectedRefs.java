package dev.vmtree.dom0;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The protected-ref patterns of setting {@code refs.protect}: words separated by spaces or commas,
 * each a ref name below {@code refs/} ({@code heads/main}, {@code tags/golden-*}; a leading
 * {@code refs/} is allowed) where {@code *} matches within one path component and {@code **} across
 * them. A protected ref is not deleted, renamed or moved anywhere but forward without force
 * (docs/cli.md "Protected refs"). Immutable.
 */
public record ProtectedRefs(List<String> patterns) {
    public static final String SETTING = "refs.protect";

    public ProtectedRefs {
        patterns = List.copyOf(patterns);
    }

    /** Parses a setting value; BAD_INPUT for a pattern that could never name a ref. */
    public static ProtectedRefs parse(String value) {
        List<String> out = new ArrayList<>();
        for (String w : value.trim().split("[\\s,]+")) {
            if (w.isEmpty()) {
                continue;
            }
            String p = w.startsWith("refs/") ? w.substring("refs/".length()) : w;
            if (!p.startsWith("heads/") && !p.startsWith("tags/")) {
                throw ToolstackException.badInput(SETTING + ": '" + w + "' names no branch or tag (write heads/NAME or"
                        + " tags/NAME, * for any characters but '/')");
            }
            out.add(p);
        }
        return new ProtectedRefs(out);
    }

    /** Whether full ref name {@code ref} ("refs/heads/main") is protected. */
    public boolean protects(String ref) {
        String name = ref.startsWith("refs/") ? ref.substring("refs/".length()) : ref;
        return patterns.stream().anyMatch(p -> glob(p).matcher(name).matches());
    }

    private static Pattern glob(String p) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '*' && i + 1 < p.length() && p.charAt(i + 1) == '*') {
                re.append(".*");
                i++;
            } else if (c == '*') {
                re.append("[^/]*");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
