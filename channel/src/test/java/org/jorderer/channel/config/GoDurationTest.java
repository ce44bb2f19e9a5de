package org.jorderer.channel.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GoDurationTest {
  @ParameterizedTest
  @CsvSource({
      "2s, PT2S",
      "500ms, PT0.5S",
      "1m30s, PT1M30S",
      "1.5h, PT1H30M",
      "300us, PT0.0003S",
      "300µs, PT0.0003S",
      "10ns, PT0.00000001S",
      "1h2m3.5s, PT1H2M3.5S",
      ".5s, PT0.5S",
      "-1.5s, PT-1.5S",
      "+3m, PT3M",
      "0, PT0S",
      "0s, PT0S"})
  void parsesGoDurations(String text, String iso) {
    assertThat(GoDuration.parse(text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "2|time: missing unit in duration \"2\"",
      "2x|time: unknown unit \"x\" in duration \"2x\"",
      "s|time: invalid duration \"s\"",
      "-|time: invalid duration \"-\"",
      "1.2.3s|time: missing unit in duration \"1.2.3s\""})
  void refusesWhatGoRefusesWithGosMessage(String text, String message) {
    assertThatThrownBy(() -> GoDuration.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }

  @ParameterizedTest
  @CsvSource({
      "PT2S, 2s",
      "PT0.5S, 500ms",
      "PT1M30S, 1m30s",
      "PT1.5S, 1.5s",
      "PT2H, 2h0m0s",
      "PT0S, 0s",
      "PT0.0000015S, 1.5µs",
      "PT-90S, -1m30s"})
  void formatsLikeGo(String iso, String text) {
    assertThat(GoDuration.format(Duration.parse(iso))).isEqualTo(text);
  }
}
