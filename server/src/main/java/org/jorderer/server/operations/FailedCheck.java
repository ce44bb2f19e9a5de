package org.jorderer.server.operations;

/** A component whose health check failed, and why (an entry of {@code failed_checks}). */
public record FailedCheck(String component, String reason) {}
