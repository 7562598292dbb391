package dev.vmtree.dom0.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void valuesRoundTrip() {
        String text = "{\"v\":1,\"op\":\"attach\",\"input\":true,\"none\":null,\"list\":[1,-2.5,\"a\\\"b\\n\\u00e9\"],"
                + "\"nested\":{\"x\":[]}}";
        Map<String, Object> m = Json.parseObject(text);
        assertThat(m.get("v")).isEqualTo(1L);
        assertThat(m.get("input")).isEqualTo(true);
        assertThat(m).containsKey("none");
        assertThat(m.get("list")).isEqualTo(List.of(1L, -2.5, "a\"b\n\u00e9"));
        assertThat(Json.parseObject(Json.write(m))).isEqualTo(m);
    }

    @Test
    void controlCharactersAndLineSeparatorsAreEscapedSoAMessageStaysOneLine() {
        String w = Json.write(Json.object("s", "a\nb\u0001\u2028"));
        assertThat(w).doesNotContain("\n").doesNotContain("\u2028").isEqualTo("{\"s\":\"a\\nb\\u0001\\u2028\"}");
    }

    @Test
    void malformedTextIsRefusedSayingWhere() {
        for (String bad : List.of("", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{\"a\":1}x", "\"\\x\"", "tru",
                "{\"a\":1,\"a\":2}", "\"a\u0001\"", "01x", "{a:1}", "\"\\u12\"")) {
            assertThatThrownBy(() -> Json.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("bad JSON at character");
        }
        assertThatThrownBy(() -> Json.parseObject("[1]")).hasMessage("not a JSON object");
    }

    @Test
    void deepNestingIsRefusedBeforeTheStackRunsOut() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep)).hasMessageContaining("nested deeper than 32");
    }

    @Test
    void fieldsOfTheWrongTypeAreNamed() {
        Map<String, Object> m = Json.parseObject("{\"instance\":3,\"input\":\"yes\"}");
        assertThatThrownBy(() -> Json.string(m, "instance")).hasMessage("\"instance\" must be a string");
        assertThatThrownBy(() -> Json.bool(m, "input", true)).hasMessage("\"input\" must be true or false");
        assertThat(Json.number(m, "absent", 7)).isEqualTo(7);
    }
}
