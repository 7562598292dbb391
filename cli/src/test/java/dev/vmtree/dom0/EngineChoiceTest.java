package dev.vmtree.dom0;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vmtree.core.cpu.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which engine a command runs under: --engine, else core.engine, else the environment, else the interpreter. */
class EngineChoiceTest {
    @TempDir
    Path dir;

    Settings settings;
    String savedProperty;

    @BeforeEach
    void settings() {
        settings = new Settings(dir.resolve("repo-config"), dir.resolve("global-config"));
        savedProperty = System.getProperty(Engine.PROPERTY);
    }

    @AfterEach
    void restoreProperty() {
        if (savedProperty == null) {
            System.clearProperty(Engine.PROPERTY);
        } else {
            System.setProperty(Engine.PROPERTY, savedProperty);
        }
    }

    @Test
    void theFlagWinsOverTheSettingAndTheEnvironment() {
        System.setProperty(Engine.PROPERTY, "translator");
        settings.set(Settings.Scope.REPOSITORY, "core.engine", "interpreter");
        assertThat(EngineChoice.choose("eager", settings)).isEqualTo(new EngineChoice(Engine.EAGER.label(), "--engine"));
        assertThat(EngineChoice.choose(" Eager ", settings).engine()).as("as Engine.parse reads it").isEqualTo(Engine.EAGER.label());
    }

    @Test
    void theSettingWinsOverTheEnvironmentAndTheRepositoryOverTheGlobalFile() {
        System.setProperty(Engine.PROPERTY, "translator");
        settings.set(Settings.Scope.GLOBAL, "core.engine", "interpreter");
        assertThat(EngineChoice.choose(null, settings)).isEqualTo(new EngineChoice(Engine.INTERPRETER.label(), "core.engine"));
        settings.set(Settings.Scope.REPOSITORY, "core.engine", "eager");
        assertThat(EngineChoice.choose(null, settings)).isEqualTo(new EngineChoice(Engine.EAGER.label(), "core.engine"));
    }

    @Test
    void withoutFlagOrSettingTheEnvironmentDecides() {
        System.setProperty(Engine.PROPERTY, "eager");
        assertThat(EngineChoice.choose(null, settings)).isEqualTo(new EngineChoice(Engine.EAGER.label(), Engine.PROPERTY));
        System.clearProperty(Engine.PROPERTY);
        String variable = System.getenv(Engine.ENVIRONMENT);
        EngineChoice none = EngineChoice.choose(null, settings);
        if (variable == null || variable.isBlank()) {
            assertThat(none).isEqualTo(new EngineChoice(Engine.DEFAULT.label(), "default"));
        } else {
            assertThat(none).isEqualTo(new EngineChoice(Engine.parse(variable).label(), Engine.ENVIRONMENT));
        }
        assertThat(none.engine()).as("what the core picks by itself").isEqualTo(Engine.fromEnvironment().label());
    }

    @Test
    void aWordThatNamesNoEngineIsBadInputNamingWhereItCameFrom() {
        assertThatThrownBy(() -> EngineChoice.choose("turbo", settings))
                .isInstanceOfSatisfying(ToolstackException.class, e -> assertThat(e.kind()).isEqualTo(ToolstackException.Kind.BAD_INPUT))
                .hasMessage("--engine: unknown engine 'turbo' (choose interpreter, translator or eager)");
        // every Machine reads the environment, so a misspelt one is refused even under --engine
        System.setProperty(Engine.PROPERTY, "fast");
        assertThatThrownBy(() -> EngineChoice.choose("eager", settings))
                .isInstanceOfSatisfying(ToolstackException.class, e -> assertThat(e.kind()).isEqualTo(ToolstackException.Kind.BAD_INPUT))
                .hasMessage("system property vmtree.engine: unknown engine 'fast' (choose interpreter, translator or eager)");
    }

    @Test
    void coreEngineIsCheckedWhenSetAndWhenRead() throws Exception {
        assertThatThrownBy(() -> settings.set(Settings.Scope.REPOSITORY, "core.engine", "turbo"))
                .isInstanceOf(ToolstackException.class)
                .hasMessage("core.engine: unknown engine 'turbo' (choose interpreter, translator or eager)");
        assertThat(settings.get("core.engine")).isEmpty();
        Files.writeString(dir.resolve("repo-config"), "[core]\n\tengine = turbo\n");   // written by hand
        assertThatThrownBy(() -> EngineChoice.choose(null, settings))
                .isInstanceOfSatisfying(ToolstackException.class, e -> assertThat(e.kind()).isEqualTo(ToolstackException.Kind.BAD_INPUT))
                .hasMessageStartingWith("configuration core.engine: unknown engine 'turbo'")
                .hasMessageContaining("vmtree config core.engine ENGINE");
        assertThat(EngineChoice.choose("translator", settings).engine()).as("--engine does not read it")
                .isEqualTo(Engine.TRANSLATOR.label());
        assertThat(settings.verify()).singleElement().asString().startsWith("configuration core.engine = 'turbo' is refused");
    }
}
