package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.Toolstack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vmtree config: two scopes, validated keys, Git-config files. */
class ConfigCommandTest {
    @TempDir
    Path dir;

    @Test
    void repositoryValuesOverrideGlobalOnes() throws Exception {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        f.vm("config", "--global", "user.name", "Ada Global").ok();
        f.vm("config", "--global", "user.email", "ada@example.org").ok();
        assertThat(f.vm("config", "user.name").ok().out()).isEqualTo("Ada Global\n");
        f.vm("config", "user.name", "Repo Ada").ok();
        assertThat(f.vm("config", "user.name").ok().out()).isEqualTo("Repo Ada\n");
        assertThat(f.vm("config", "--global", "user.name").ok().out()).isEqualTo("Ada Global\n");
        assertThat(f.vm("config", "--list").ok().out()).isEqualTo("user.email=ada@example.org\nuser.name=Repo Ada\n");
        assertThat(f.vm("--json", "config", "--list").ok().out().trim())
                .isEqualTo("{\"user.email\":\"ada@example.org\",\"user.name\":\"Repo Ada\"}");
        assertThat(Files.readString(f.repo.resolve(".vmtree/config"))).contains("[user]").contains("name = Repo Ada");
        assertThat(Files.readString(dir.resolve("config-home/config"))).contains("email = ada@example.org");

        f.vm("config", "--unset", "user.name").ok();
        assertThat(f.vm("config", "user.name").ok().out()).isEqualTo("Ada Global\n");
        assertThat(f.vm("config", "--unset", "user.name").exit()).isEqualTo(1);
    }

    @Test
    void typedDefaultsAreReadThroughTheToolstack() {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        f.vm("config", "machine.memory", "256M").ok();
        f.vm("config", "--global", "machine.harts", "4").ok();
        f.vm("config", "gc.reflogExpire", "30d").ok();
        try (Toolstack ts = Toolstack.open(f.repo)) {
            assertThat(ts.settings().defaultMemory()).isEqualTo(256L << 20);
            assertThat(ts.settings().defaultHarts()).isEqualTo(4);
            assertThat(ts.settings().reflogExpire()).isEqualTo(Duration.ofDays(30));
            assertThat(ts.settings().author().name()).isEmpty();
        }
    }

    @Test
    void badKeysAndValuesAreUsageErrorsAndChangeNothing() {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        Dom0Fixture.Result size = f.vm("config", "machine.memory", "12X");
        assertThat(size.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(size.err()).isEqualTo("vmtree: machine.memory: bad size '12X' (use a number of bytes with an optional K, M, G or T"
                + " suffix, e.g. 256M)\nusage: vmtree config [OPTIONS] [KEY] [VALUE] (see `vmtree config --help`)\n");
        assertThat(f.vm("config", "machine.harts", "65").exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(f.vm("config", "gc.reflogExpire", "soon").exit()).isEqualTo(ExitCodes.USAGE);
        Dom0Fixture.Result key = f.vm("config", "user.nmae", "x");
        assertThat(key.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(key.err()).startsWith("vmtree: unknown config key 'user.nmae' (known: user.name, ");
        assertThat(f.vm("config", "--list").ok().out()).isEmpty();
        assertThat(f.vm("config", "machine.memory").exit()).isEqualTo(1);
    }

    @Test
    void globalWorksOutsideARepositoryAndRepositoryScopeDoesNot() {
        Path nowhere = dir.resolve("nowhere");
        Dom0Fixture f = new Dom0Fixture(dir);
        Dom0Fixture.run("-C", nowhere.toString(), "config", "--global", "user.email", "x@y").ok();
        assertThat(Dom0Fixture.run("-C", nowhere.toString(), "config", "user.email").ok().out()).isEqualTo("x@y\n");
        Dom0Fixture.Result r = Dom0Fixture.run("-C", nowhere.toString(), "config", "user.email", "z@y");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).contains("not in a vmtree repository; use --global");
        assertThat(f.dir).isEqualTo(dir);
    }

    @Test
    void corruptConfigFileIsNamed() throws Exception {
        Dom0Fixture f = new Dom0Fixture(dir).init();
        Files.writeString(f.repo.resolve(".vmtree/config"), "[user\nname = x\n");
        Dom0Fixture.Result r = f.vm("config", "user.name");
        assertThat(r.exit()).isEqualTo(ExitCodes.CANNOT_RUN);
        assertThat(r.err()).startsWith("vmtree: damaged configuration file " + f.repo.resolve(".vmtree/config"));
    }
}
