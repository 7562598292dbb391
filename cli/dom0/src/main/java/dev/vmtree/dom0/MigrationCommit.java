package dev.vmtree.dom0;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * What a migration snapshot's commit message says (docs/format.md, "Migration snapshot", version 1):
 * the snapshot {@code vmtree migrate} pushes as {@code refs/migrations/NAME} holds the instance's
 * working state with its ReplayLog, its parent is the instance's base, and its message carries what
 * the instance record held beyond that, so that the repository that resumes it ({@code instance add
 * NAME REMOTE/migrations/INSTANCE}) makes the same instance: same StateId, same instruction count
 * since the base, same VM generation ID. The message comes from a remote: {@link #parse} checks every
 * field and refuses a damaged one with one line.
 *
 * @param instance              the instance's name where it was migrated from
 * @param state                 the StateId of the snapshot's machine (checked against the snapshot on resume)
 * @param instructionsSinceBase the instructions the instance had run since its base (the parent)
 * @param branch                the branch it was on there, or null (detached)
 * @param pendingGeneration     a VM generation ID it was to get at its next run there, or null
 */
public record MigrationCommit(String instance, StateId state, long instructionsSinceBase, String branch,
                              GenerationId pendingGeneration) {
    public static final int VERSION = 1;
    static final String HEADER = "vmtree-migration ";
    /** Longer messages are refused before they are read (a real one is well under 1 KiB). */
    static final int MAX_CHARS = 16 << 10;

    public MigrationCommit {
        InstanceRecord.checkName(instance);
        java.util.Objects.requireNonNull(state, "state");
        if (instructionsSinceBase < 0) {
            throw new IllegalArgumentException("negative instruction count");
        }
        if (branch != null) {
            Refs.checkName("branch", branch);
        }
    }

    /** The commit message: a subject line, an empty line, then the fields. */
    public String message() {
        StringBuilder sb = new StringBuilder("migrate ").append(instance).append("\n\n");
        sb.append(HEADER).append(VERSION).append('\n');
        sb.append("instance ").append(instance).append('\n');
        sb.append("state ").append(state.hex()).append('\n');
        sb.append("instructions ").append(instructionsSinceBase).append('\n');
        if (branch != null) {
            sb.append("branch ").append(branch).append('\n');
        }
        if (pendingGeneration != null) {
            sb.append("generation ").append(pendingGeneration.hex()).append('\n');
        }
        return sb.toString();
    }

    /**
     * The migration a snapshot's message describes; empty when it is not a migration snapshot (its
     * body does not start with {@code vmtree-migration }). FAILED with one line when it is one but
     * damaged, of a newer version, or over {@value #MAX_CHARS} characters.
     */
    public static Optional<MigrationCommit> parse(String message) {
        int body = message.indexOf("\n\n");
        if (body < 0 || !message.startsWith(HEADER, body + 2)) {
            return Optional.empty();
        }
        if (message.length() > MAX_CHARS) {
            throw damaged("its message is over " + MAX_CHARS + " characters");
        }
        String[] lines = message.substring(body + 2).split("\n", -1);
        String version = lines[0].substring(HEADER.length());
        if (!version.matches("[1-9][0-9]{0,8}")) {
            throw damaged("bad version '" + printable(version) + "'");
        }
        if (Integer.parseInt(version) > VERSION) {
            throw damaged("it is version " + version + ", newer than this vmtree reads (" + VERSION + ")");
        }
        String instance = null, branch = null;
        StateId state = null;
        GenerationId generation = null;
        long instructions = -1;
        Set<String> seen = new HashSet<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty() && i == lines.length - 1) {
                break;      // the message's last newline
            }
            int sp = line.indexOf(' ');
            if (sp <= 0) {
                throw damaged("line " + (i + 1) + " is not KEY VALUE: '" + printable(line) + "'");
            }
            String key = line.substring(0, sp), value = line.substring(sp + 1);
            if (!seen.add(key)) {
                throw damaged("'" + printable(key) + "' appears twice");
            }
            try {
                switch (key) {
                    case "instance" -> {
                        InstanceRecord.checkName(value);
                        instance = value;
                    }
                    case "state" -> state = new StateId(value);
                    case "instructions" -> {
                        if (!value.matches("0|[1-9][0-9]{0,18}")) {
                            throw new IllegalArgumentException("bad instruction count '" + value + "'");
                        }
                        instructions = Long.parseLong(value);
                    }
                    case "branch" -> {
                        Refs.checkName("branch", value);
                        branch = value;
                    }
                    case "generation" -> generation = new GenerationId(value);
                    default -> { }      // a later version's field
                }
            } catch (IllegalArgumentException | ToolstackException e) {
                throw damaged(key + ": " + printable(e.getMessage()));
            }
        }
        if (instance == null || state == null || instructions < 0) {
            throw damaged("it lacks its instance, state or instructions line");
        }
        return Optional.of(new MigrationCommit(instance, state, instructions, branch, generation));
    }

    private static ToolstackException damaged(String why) {
        return ToolstackException.failed("damaged migration snapshot: " + why);
    }

    /** {@code s} cut to 80 characters, control characters shown as '?', so a message stays one short line. */
    static String printable(String s) {
        String t = s == null ? "" : s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return t.replaceAll("[\\p{Cntrl}\\p{Zl}\\p{Zp}]", "?");
    }
}
