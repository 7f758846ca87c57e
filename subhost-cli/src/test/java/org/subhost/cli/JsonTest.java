package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What {@code overlay-list --json} relies on: {@link Json} writes text a JSON reader takes back unchanged. */
class JsonTest {
    @Test
    void writesValuesInOrderWithEmptyOptionalsAsNull() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "ex1");
        m.put("pid", 4242L);
        m.put("up", true);
        m.put("cgroup", Optional.empty());
        m.put("config", Optional.of("/ex1/ex1.conf"));
        m.put("cables", List.of());
        assertThat(Json.write(List.of(m))).isEqualTo(
                "[{\"name\":\"ex1\",\"pid\":4242,\"up\":true,\"cgroup\":null,\"config\":\"/ex1/ex1.conf\",\"cables\":[]}]");
    }

    @Test
    void escapedStringsReadBackUnchanged() {
        String nasty = "quote \" backslash \\ newline \n tab \t bell \u0007 é";
        assertThat(Json.write(nasty)).isEqualTo("\"quote \\\" backslash \\\\ newline \\n tab \\t bell \\u0007 é\"");
        assertThat(JsonText.parse(Json.write(Map.of("path", nasty)))).isEqualTo(Map.of("path", nasty));
    }

    @Test
    void whatATerminalOrAJavaScriptReaderWouldObeyIsEscapedToo() {
        // An init system's path that a subhost chose: DEL, C1 controls (CSI), line separators, a lone surrogate.
        String named = "/x\u007f\u009b2J\u0085\u2028\u2029\uD800 \uD83D\uDE00";
        assertThat(Json.write(named)).isEqualTo("\"/x\\u007f\\u009b2J\\u0085\\u2028\\u2029\\ud800 \uD83D\uDE00\"");
        assertThat(JsonText.parse(Json.write(Map.of("init_system", named)))).isEqualTo(Map.of("init_system", named));
    }
}
