package dev.vmtree.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.dom0.ImageCatalog;
import dev.vmtree.dom0.ToolstackException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vmtree image list offers only guests that exist in the installation. */
class ImageCommandTest {
    @TempDir
    Path dir;

    @AfterEach
    void forgetHome() {
        System.clearProperty("vmtree.home");
    }

    @Test
    void listsOnlyInstalledGuests() throws Exception {
        Files.createDirectories(dir.resolve("guests/bin"));
        Files.write(dir.resolve("guests/bin/hello.elf"), new byte[] {0x7f, 'E', 'L', 'F'});
        System.setProperty("vmtree.home", dir.toString());
        Dom0Fixture.Result r = Dom0Fixture.run("image", "list").ok();
        assertThat(r.out()).startsWith("hello ").doesNotContain("kvshell");
        assertThat(Dom0Fixture.run("--json", "image", "list").ok().out().trim()).isEqualTo("[{\"name\":\"hello\","
                + "\"description\":\"prints a greeting on the console and powers off\",\"path\":\""
                + dir.resolve("guests/bin/hello.elf") + "\",\"boot\":\"supervisor_elf\",\"kind\":\"built-in\"}]");
        assertThat(ImageCatalog.installed().get("hello").path()).isEqualTo(dir.resolve("guests/bin/hello.elf"));
        try {
            ImageCatalog.installed().get("kvshell");
            throw new AssertionError("kvshell is not installed");
        } catch (ToolstackException e) {
            assertThat(e.getMessage()).isEqualTo("no image 'kvshell' (available: hello; see `vmtree image list`)");
        }
    }

    @Test
    void anEmptyInstallationSaysWhereItLooked() {
        System.setProperty("vmtree.home", dir.toString());
        Dom0Fixture.Result r = Dom0Fixture.run("image", "list").ok();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("vmtree: no built-in images found in " + dir + "\n");
    }
}
