package dev.vmtree.store;

import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;

/**
 * Keeps JGit from reading the host's system-wide git configuration ({@code $(prefix)/etc/gitconfig})
 * for {@code meta.git}. To find that file JGit starts the host's {@code git} twice ({@code git
 * --version}, {@code git config --system --show-origin --list}), tens of milliseconds in every
 * vmtree process that opens a repository, and what it would read there (another git's defaults)
 * has no business in vmtree's store: the settings the store relies on are in meta.git's own config
 * (docs/format.md). The user's ~/.gitconfig is read as before (no process). As git does with
 * {@code GIT_CONFIG_NOSYSTEM=1}. JVM-wide (JGit's {@link SystemReader} is), installed once on top
 * of whatever reader is there.
 */
final class NoSystemGitConfig extends SystemReader.Delegate {
    private NoSystemGitConfig(SystemReader delegate) {
        super(delegate);
    }

    /** Installs the reader unless it is already JGit's current one. */
    static synchronized void install() {
        SystemReader current = SystemReader.getInstance();
        if (!(current instanceof NoSystemGitConfig)) {
            SystemReader.setInstance(new NoSystemGitConfig(current));
        }
    }

    @Override
    public FileBasedConfig openSystemConfig(Config parent, FS fs) {
        // JGit's own answer under GIT_CONFIG_NOSYSTEM: a config backed by no file
        return new FileBasedConfig(parent, null, fs) {
            @Override
            public void load() {
                // nothing to read
            }

            @Override
            public boolean isOutdated() {
                return false;
            }
        };
    }
}
