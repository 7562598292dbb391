package dev.vmtree.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The files of a repository that gc and fsck must be able to account for before either trusts
 * the roots: pack indexes, {@code roots}, every ref file, {@code packed-refs}, every reflog and the
 * writer lock. A ref file JGit cannot read is not listed as a ref, so gc would drop its snapshots;
 * an unreadable reflog or roots file hides what it keeps alive. fsck reports each finding; gc
 * refuses to run while there is any. Each finding names the file and the fix. Reads only.
 */
final class IntegrityChecks {
    private IntegrityChecks() {}

    private static final Pattern ID = Pattern.compile("[0-9a-f]{40}");
    /** "OLD NEW Name <email> SECONDS TZ" then a tab and the message (the tab and message may be absent). */
    private static final Pattern REFLOG_LINE =
            Pattern.compile("[0-9a-f]{40} [0-9a-f]{40} [^<\\n]*<[^>\\n]*> [0-9]+ [+-][0-9]{4}(\t.*)?");

    static List<FsckReport.Problem> find(Repository repo) {
        List<FsckReport.Problem> out = new ArrayList<>();
        for (ChunkStore.DamagedFile f : repo.chunks().damagedIndexes()) {
            out.add(problem(f.file(), f.reason()));
        }
        checkRoots(repo, out);
        Path git = repo.gitDirectory();
        checkLooseRefs(repo, git, out);
        checkPackedRefs(git.resolve("packed-refs"), out);
        checkReflogs(git.resolve("logs"), out);
        Path lock = repo.storeDirectory().resolve("lock");
        if (Files.exists(lock, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(lock)) {
            out.add(problem(lock, (Files.isDirectory(lock) ? "is a directory" : "is not a regular file")
                    + ", not the writer lock: every write to the repository fails; remove it (the next write creates it)"));
        }
        return out;
    }

    private static FsckReport.Problem problem(Path file, String reason) {
        return new FsckReport.Problem(file.toString(), reason, List.of());
    }

    private static void checkRoots(Repository repo, List<FsckReport.Problem> out) {
        Path f = repo.storeDirectory().resolve("roots");
        if (!repo.files().exists(f)) {
            out.add(problem(f, "missing: it registers what instances keep from gc (their working states), so gc would"
                    + " drop them; rebuild it from the instance records with `vmtree fsck --rebuild-roots`"));
            return;
        }
        try {
            repo.extraRoots();
        } catch (StoreException e) {
            out.add(problem(f, e.getMessage() + "; rebuild it from the instance records with"
                    + " `vmtree fsck --rebuild-roots` (the damaged file is kept as roots.damaged)"));
        }
    }

    /** Every file under refs/ must be a ref JGit lists: 40 hex digits, or "ref: refs/..." (symbolic). */
    private static void checkLooseRefs(Repository repo, Path git, List<FsckReport.Problem> out) {
        Path refs = git.resolve("refs");
        List<Path> files = filesUnder(refs, out);
        if (files == null) {
            return;
        }
        Map<String, SnapshotId> listed;
        try {
            listed = repo.refs();
        } catch (StoreException e) {
            listed = Map.of(); // packed-refs is at fault: checkPackedRefs names it
        }
        for (Path f : files) {
            String name = git.relativize(f).toString().replace(java.io.File.separatorChar, '/');
            if (name.endsWith(".lock")) {
                continue; // a ref update in progress, or one a crash left: it blocks that ref, loses nothing
            }
            String text;
            try {
                text = new String(readSmall(f), StandardCharsets.UTF_8);
            } catch (IOException e) {
                out.add(problem(f, "unreadable ref file (" + e.getMessage() + ")"));
                continue;
            }
            String content = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            boolean valid = org.eclipse.jgit.lib.Repository.isValidRefName(name)
                    && (ID.matcher(content).matches() && listed.containsKey(name)
                        || content.startsWith("ref: refs/") && !content.contains("\n"));
            if (!valid) {
                String last = lastReflogId(git.resolve("logs").resolve(name));
                out.add(problem(f, "not a valid ref (" + describe(content) + "): `vmtree branch` does not list it and"
                        + " gc would drop its snapshots; write the snapshot id it should hold into it"
                        + (last == null ? "" : " (its reflog last names " + last + ")") + ", or delete it"));
            }
        }
    }

    private static void checkPackedRefs(Path f, List<FsckReport.Problem> out) {
        if (!Files.exists(f)) {
            return;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            out.add(problem(f, "unreadable (" + e.getMessage() + ")"));
            return;
        }
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            boolean ok = l.startsWith("#") && i == 0
                    || l.startsWith("^") && ID.matcher(l.substring(1)).matches()
                    || l.length() > 41 && ID.matcher(l.substring(0, 40)).matches() && l.charAt(40) == ' '
                        && org.eclipse.jgit.lib.Repository.isValidRefName(l.substring(41));
            if (!ok) {
                out.add(problem(f, "line " + (i + 1) + " is not a packed ref (" + describe(l) + "): no ref can be read"
                        + " while it is there; fix or delete that line"));
                return;
            }
        }
    }

    /** The files under {@code dir}, sorted; null (and a problem) when it cannot be listed. */
    private static List<Path> filesUnder(Path dir, List<FsckReport.Problem> out) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !Files.isDirectory(p)).sorted().toList();
        } catch (IOException e) {
            out.add(problem(dir, "cannot be listed: " + e.getMessage()));
            return null;
        }
    }

    /** Every line of every reflog must be an entry: gc keeps the snapshots reflogs name. */
    private static void checkReflogs(Path logs, List<FsckReport.Problem> out) {
        if (!Files.isDirectory(logs)) {
            return;
        }
        List<Path> files = filesUnder(logs, out);
        if (files == null) {
            return;
        }
        for (Path f : files) {
            try {
                String text = new String(readSmall(f), StandardCharsets.UTF_8);
                if (!text.isEmpty() && !text.endsWith("\n")) {
                    out.add(problem(f, "the last line is cut short; delete that line (the other entries stay valid)"));
                    continue;
                }
                String[] lines = text.isEmpty() ? new String[0] : text.substring(0, text.length() - 1).split("\n", -1);
                for (int i = 0; i < lines.length; i++) {
                    if (!REFLOG_LINE.matcher(lines[i]).matches()) {
                        out.add(problem(f, "line " + (i + 1) + " is not a reflog entry (" + describe(lines[i])
                                + "): the reflog cannot be read, nor what it keeps from gc; delete that line"
                                + " (the other entries stay valid)"));
                        break;
                    }
                }
            } catch (IOException e) {
                out.add(problem(f, "unreadable reflog (" + e.getMessage() + ")"));
            }
        }
    }

    private static String lastReflogId(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                String l = lines.get(i);
                if (l.length() >= 81 && ID.matcher(l.substring(41, 81)).matches() && !l.substring(41, 81).matches("0{40}")) {
                    return l.substring(41, 81);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no reflog, or an unreadable one (reported on its own): no hint
        }
        return null;
    }

    private static byte[] readSmall(Path f) throws IOException {
        if (Files.size(f) > MetaStore.MAX_FILE) {
            throw new IOException("larger than " + MetaStore.MAX_FILE + " bytes");
        }
        return Files.readAllBytes(f);
    }

    /** A short, printable rendering of bad content for a one-line message. */
    private static String describe(String s) {
        if (s.isEmpty()) {
            return "empty";
        }
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().limit(40).forEach(c -> b.append(c < 0x20 || c == 0x7f ? '?' : Character.toString(c)));
        return b.append(s.codePointCount(0, s.length()) > 40 ? "...\"" : "\"").toString();
    }
}
