package org.jorderer.channel.config;

import java.time.Duration;

/** {@code /Channel/Orderer/BatchTimeout}: the Go duration text as configured, and its value. */
public record BatchTimeout(String text, Duration duration) {}
