package org.jorderer.server.operations;

import org.jorderer.server.http.Json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LogSpecTest {
  @Test
  void parsesFabricSyntaxAndNormalisesAsFabric() {
    assertThat(LogSpec.parse("debug").toString()).isEqualTo("debug");
    assertThat(LogSpec.parse("").toString()).isEqualTo("info");
    assertThat(LogSpec.parse("grpc=debug:info").toString()).isEqualTo("grpc=debug:info");
    assertThat(LogSpec.parse("WARNING:b,a=ERROR").toString()).isEqualTo("a=error:b=error:warn");
    assertThat(LogSpec.parse("notice:x=critical").toString()).isEqualTo("x=error:info");
    assertThat(LogSpec.parse("a=info:a.b.=debug").toString()).isEqualTo("a.b.=debug:a=info:info");
    assertThat(LogSpec.parse("Foo$Bar=payload").toString()).isEqualTo("Foo$Bar=payload:info");
  }

  @Test
  void keepsFabricsQuirks() {
    // An empty segment sets the default back to info, as in Fabric.
    assertThat(LogSpec.parse("debug:").defaultLevel()).isEqualTo(FabricLevel.INFO);
    // Later entries for the same logger win.
    assertThat(LogSpec.parse("a=debug:a=error").toString()).isEqualTo("a=error:info");
  }

  @Test
  void resolvesLevelsByPrefixWithExactOnlyNamesFirst() {
    LogSpec spec = LogSpec.parse("a.b=debug:a.b.=error:a=warn:info");
    assertThat(spec.levelOf("a.b")).isEqualTo(FabricLevel.ERROR);
    assertThat(spec.levelOf("a.b.c")).isEqualTo(FabricLevel.DEBUG);
    assertThat(spec.levelOf("a.bc")).isEqualTo(FabricLevel.WARN);
    assertThat(spec.levelOf("a")).isEqualTo(FabricLevel.WARN);
    assertThat(spec.levelOf("ab")).isEqualTo(FabricLevel.INFO);
  }

  @Test
  void rejectsWhatFabricRejectsWithItsMessages() {
    assertThatThrownBy(() -> LogSpec.parse("Debug")).hasMessage(
        "invalid logging specification 'Debug': bad segment 'Debug'");
    assertThatThrownBy(() -> LogSpec.parse("a=")).hasMessage(
        "invalid logging specification 'a=': bad segment 'a='");
    assertThatThrownBy(() -> LogSpec.parse("=info")).hasMessage(
        "invalid logging specification '=info': no logger specified in segment '=info'");
    assertThatThrownBy(() -> LogSpec.parse(".a=info")).hasMessage(
        "invalid logging specification '.a=info': bad logger name '.a'");
    assertThatThrownBy(() -> LogSpec.parse("a,,b=info")).hasMessage(
        "invalid logging specification 'a,,b=info': bad logger name ''");
    assertThatThrownBy(() -> LogSpec.parse("a=b=info")).hasMessage(
        "invalid logging specification 'a=b=info': bad segment 'a=b=info'");
  }

  @Test
  void mapsFabricLevelsToLogback() {
    assertThat(FabricLevel.byName("payload").orElseThrow().logbackName()).isEqualTo("TRACE");
    assertThat(FabricLevel.byName("warning").orElseThrow().logbackName()).isEqualTo("WARN");
    assertThat(FabricLevel.byName("panic").orElseThrow().logbackName()).isEqualTo("OFF");
    assertThat(FabricLevel.byName("fatal").orElseThrow().logbackName()).isEqualTo("OFF");
    assertThat(FabricLevel.ofLogback("OFF")).isEqualTo(FabricLevel.FATAL);
    assertThat(FabricLevel.byName("Info")).isEmpty();
  }

  @Test
  void jsonReadsAndQuotesWhatTheEndpointsExchange() {
    assertThat(Json.parse(" {\"spec\" : \"a\\u003db\\n\", \"x\": [1, true, null, {}]} "))
        .isEqualTo(java.util.Map.of("spec", "a=b\n", "x", java.util.Arrays.asList(1.0, true, null, java.util.Map.of())));
    assertThat(Json.quote("a\"b\\<c>\u0001")).isEqualTo("\"a\\\"b\\\\\\u003cc\\u003e\\u0001\"");
    assertThatThrownBy(() -> Json.parse("{\"a\":1} x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Json.parse("{\"a\":")).isInstanceOf(IllegalArgumentException.class);
  }
}
