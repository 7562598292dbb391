package dev.vmtree.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * {@code vmtree --version}: the release and the git commit the build was made from (with
 * {@code -dirty} when the work tree had uncommitted changes), read from {@code version.properties},
 * which the build writes (cli/pom.xml); then the Java runtime.
 */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // a build without the file: say so below rather than fail --version
        }
        String version = p.getProperty("version", "development");
        String commit = p.getProperty("commit", "unknown");
        return new String[] {"vmtree " + version + " (commit " + commit + ")", "Java " + Runtime.version()};
    }
}
