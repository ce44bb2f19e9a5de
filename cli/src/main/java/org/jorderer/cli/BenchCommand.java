package org.jorderer.cli;

import picocli.CommandLine.Command;

/** {@code jorderer bench ...}: measurements against a real node. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure a node: fill a ledger, then read it back over Deliver.",
    subcommands = {BenchFillCommand.class, BenchDeliverCommand.class})
final class BenchCommand {}
