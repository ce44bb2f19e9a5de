package org.jorderer.cli;

import picocli.CommandLine.Command;

/** {@code jorderer bench ...}: measurements against a real node. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure a node: Deliver catch-up, waiting streams and fan-out; Broadcast throughput and latency.",
    subcommands = {BenchFillCommand.class, BenchDeliverCommand.class, BenchBroadcastCommand.class,
        BenchFailoverCommand.class})
final class BenchCommand {}
