package org.jorderer.server.operations;

import java.util.Optional;

/**
 * One component's health, asked on every {@code GET /healthz}. Like Fabric's {@code
 * healthz.HealthChecker}: empty when healthy, otherwise the reason shown to the operator. A check
 * that throws or does not answer within the server's timeout counts as failed.
 */
@FunctionalInterface
public interface HealthCheck {
  Optional<String> check() throws Exception;
}
