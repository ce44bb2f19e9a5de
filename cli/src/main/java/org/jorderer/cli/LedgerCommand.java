package org.jorderer.cli;

import picocli.CommandLine.Command;

/** {@code jorderer ledger ...}: offline work on a node's ledgers (the node must be stopped). */
@Command(
    name = "ledger",
    mixinStandardHelpOptions = true,
    description = "Work on a stopped node's ledgers.",
    subcommands = {LedgerImportCommand.class})
final class LedgerCommand {}
