package dev.vmtree.dom0;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.MachineConfig;
import dev.vmtree.core.cpu.Engine;
import dev.vmtree.dom0.rv64.CoreDriver;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The seam between Dom0 and its backends is a build fact (issue 15): the toolstack (cli/dom0) and the
 * backend interface (hypervisor-backend/backend-api) do not depend on the RV64 core, so a class there
 * that imports it does not compile; the core is found at run time, by name, as a {@link Backend}.
 */
class BackendSeamTest {

    @Test
    void theToolstackAndTheBackendInterfaceDependOnNoBackend() throws IOException {
        assertThat(dependencies("cli/dom0/pom.xml")).contains("backend-api")
                .doesNotContain("hypervisor-backend", "rv64-driver", "cli");
        assertThat(dependencies("hypervisor-backend/backend-api/pom.xml"))
                .containsExactlyInAnyOrder("snapshot-store", "cow-disk");
        assertThat(dependencies("hypervisor-backend/rv64-driver/pom.xml"))
                .containsExactlyInAnyOrder("backend-api", "hypervisor-backend");
    }

    @Test
    void noToolstackOrInterfaceClassNamesTheCore() throws Exception {
        for (Class<?> c : List.of(Toolstack.class, MachineDriver.class)) {
            List<String> offenders = new ArrayList<>();
            List<String> classes = classFiles(c);
            assertThat(classes).as("classes beside " + c.getSimpleName()).hasSizeGreaterThan(5);
            for (String entry : classes) {
                String text = new String(read(c, entry), StandardCharsets.ISO_8859_1);
                if (text.contains("dev/vmtree/core/") || text.contains("dev/vmtree/dom0/rv64/")) {
                    offenders.add(entry);
                }
            }
            assertThat(offenders).as("classes of " + c.getSimpleName() + "'s module that name the RV64 core").isEmpty();
        }
        assertThat(Toolstack.class.getProtectionDomain().getCodeSource().getLocation())
                .as("Dom0 and the core's adapter come from different modules")
                .isNotEqualTo(CoreDriver.class.getProtectionDomain().getCodeSource().getLocation());
    }

    @Test
    void theCoreIsFoundByTheNameItsMachinesRecordWithItsCapabilities() {
        assertThat(Backend.all()).extracting(Backend::name).containsExactly(CoreDriver.NAME);
        Backend core = Backend.named(Backend.DEFAULT);
        assertThat(core.name()).isEqualTo(CoreDriver.NAME);
        assertThat(core.capabilities()).isEqualTo(EnumSet.allOf(Capability.class));
        assertThat(core.defaultEngine()).isEqualTo(Engine.DEFAULT.label());
        assertThat(core.engine(" Eager ")).isEqualTo("eager");
        assertThatThrownBy(() -> core.engine("turbo")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown engine 'turbo' (choose interpreter, translator or eager)");
        MachineDriver d = core.driver("translator");
        assertThat(d).isInstanceOf(CoreDriver.class);
        assertThat(((CoreDriver) d).engine()).isEqualTo(Engine.TRANSLATOR);
        assertThat(d.name()).isEqualTo(core.name());
        assertThat(d.capabilities()).isEqualTo(core.capabilities());
    }

    @Test
    void aBackendNotOnTheClassPathIsOneClearLine() {
        assertThatThrownBy(() -> Backend.named("qemu-kvm"))
                .isInstanceOfSatisfying(ToolstackException.class,
                        e -> assertThat(e.kind()).isEqualTo(ToolstackException.Kind.CANNOT_RUN))
                .hasMessage("no hypervisor backend 'qemu-kvm' on the class path (found: rv64-core);"
                        + " is the installation complete?");
    }

    @Test
    void aStoredStateGetsTheDriverOfTheBackendItsDefinitionNames(@org.junit.jupiter.api.io.TempDir Path dir) {
        try (Toolstack ts = Toolstack.init(dir)) {
            Machines m = ts.machines();
            assertThat(m.driverFor(state("vmtree-machine 1\nbackend rv64-core\nkernel hello.elf\n"))).isSameAs(m.driver());
            assertThat(m.driverFor(new MachineDriver.StoredState(java.util.Map.of(), java.util.Map.of())))
                    .as("no definition: the default backend").isSameAs(m.driver());
            assertThatThrownBy(() -> m.driverFor(state("vmtree-machine 1\nbackend qemu-kvm\n")))
                    .isInstanceOf(ToolstackException.class)
                    .hasMessageStartingWith("no hypervisor backend 'qemu-kvm' on the class path");
        }
    }

    private static MachineDriver.StoredState state(String definition) {
        return new MachineDriver.StoredState(java.util.Map.of(MachineDriver.DEFINITION_FILE,
                definition.getBytes(StandardCharsets.UTF_8)), java.util.Map.of());
    }

    @Test
    void dom0sMachineLimitsAreTheCores() {
        assertThat(MachineValues.MIN_MEMORY).isEqualTo(dev.vmtree.core.loader.Boot.MIN_MEMORY);
        assertThat(MachineValues.MAX_MEMORY).isEqualTo(MachineConfig.MAX_MEMORY);
        assertThat(MachineValues.MAX_HARTS).isEqualTo(MachineConfig.MAX_HARTS);
    }

    private static List<String> dependencies(String pom) throws IOException {
        String text = Files.readString(Path.of(System.getProperty("vmtree.project.root", "..")).resolve(pom));
        String deps = text.substring(text.indexOf("<dependencies>"), text.indexOf("</dependencies>"));
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<artifactId>([^<]+)</artifactId>").matcher(deps);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The class files of the module (a directory or a jar) {@code c} was loaded from. */
    private static List<String> classFiles(Class<?> c) throws IOException, URISyntaxException {
        Path where = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(where)) {
            try (Stream<Path> s = Files.walk(where)) {
                return s.filter(p -> p.toString().endsWith(".class")).map(p -> where.relativize(p).toString()).toList();
            }
        }
        try (ZipFile z = new ZipFile(where.toFile())) {
            return z.stream().map(java.util.zip.ZipEntry::getName).filter(n -> n.endsWith(".class")).toList();
        }
    }

    private static byte[] read(Class<?> c, String entry) throws IOException, URISyntaxException {
        Path where = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(where)) {
            return Files.readAllBytes(where.resolve(entry));
        }
        try (ZipFile z = new ZipFile(where.toFile()); InputStream in = z.getInputStream(z.getEntry(entry))) {
            return in.readAllBytes();
        }
    }
}
