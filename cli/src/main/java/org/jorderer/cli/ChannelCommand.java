package org.jorderer.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer channel join|list|remove}: a client of the channel participation API, like
 * Fabric's {@code osnadmin channel}: it prints the HTTP status and the JSON the orderer answered,
 * and exits 0 only on success. {@code config}, {@code signconfigtx} and {@code update} are gRPC
 * clients ({@code --address}), see their classes.
 */
@Command(
    name = "channel",
    mixinStandardHelpOptions = true,
    description = {"Join, list and remove an orderer's channels through its admin API (like osnadmin); "
        + "read a channel's config and update it over gRPC (like peer channel signconfigtx / update)."},
    subcommands = {ChannelCommand.Join.class, ChannelCommand.List.class, ChannelCommand.Remove.class,
        ChannelConfigCommand.class, ChannelSignConfigTxCommand.class, ChannelUpdateCommand.class})
final class ChannelCommand {
  @Option(names = {"-o", "--orderer-address"}, paramLabel = "HOST:PORT", converter = HostPort.class,
      defaultValue = "127.0.0.1:9443", scope = picocli.CommandLine.ScopeType.INHERIT,
      description = "The orderer's admin endpoint (default: ${DEFAULT-VALUE}).")
  InetSocketAddress admin;

  // Made on first use: picocli makes every command object for each run, `start` included, and a
  // client's default SSLContext (the JDK's CA certificates read and parsed) cost about 0.5 s of a
  // node's start (docs/performance.md, "Raft catch-up after a restart").
  private HttpClient http;

  private synchronized HttpClient http() {
    if (http == null) {
      http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }
    return http;
  }

  private URI uri(String path) {
    return URI.create("http://" + admin.getHostString() + ":" + admin.getPort() + "/participation/v1/channels" + path);
  }

  int report(CommandSpec spec, HttpResponse<String> response, int expected) {
    PrintWriter out = spec.commandLine().getOut();
    out.println("Status: " + response.statusCode());
    if (!response.body().isEmpty()) {
      out.print(response.body().endsWith("\n") ? response.body() : response.body() + "\n");
    }
    out.flush();
    return response.statusCode() == expected ? 0 : 1;
  }

  @Command(name = "join", mixinStandardHelpOptions = true, description = "Join the orderer to a channel with its config block.")
  static final class Join implements Callable<Integer> {
    @ParentCommand ChannelCommand parent;
    @Spec CommandSpec spec;

    @Option(names = {"-b", "--config-block"}, paramLabel = "FILE", required = true,
        description = "The channel's genesis (config) block, as configtxgen writes it.")
    Path configBlock;

    @Override
    public Integer call() throws IOException, InterruptedException {
      String boundary = "jorderer-" + UUID.randomUUID();
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"config-block\"; filename=\""
          + configBlock.getFileName() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8));
      body.write(Files.readAllBytes(configBlock));
      body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
      HttpRequest request = HttpRequest.newBuilder(parent.uri(""))
          .header("Content-Type", "multipart/form-data; boundary=" + boundary)
          .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
          .build();
      return parent.report(spec, parent.http().send(request, HttpResponse.BodyHandlers.ofString()), 201);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the orderer's channels, or show one.")
  static final class List implements Callable<Integer> {
    @ParentCommand ChannelCommand parent;
    @Spec CommandSpec spec;

    @Option(names = {"-c", "--channelID"}, paramLabel = "ID", description = "Show only this channel.")
    String channelId;

    @Override
    public Integer call() throws IOException, InterruptedException {
      HttpRequest request = HttpRequest.newBuilder(parent.uri(channelId == null ? "" : "/" + channelId)).GET().build();
      return parent.report(spec, parent.http().send(request, HttpResponse.BodyHandlers.ofString()), 200);
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Remove the orderer from a channel: its chain stops and its ledger is deleted.")
  static final class Remove implements Callable<Integer> {
    @ParentCommand ChannelCommand parent;
    @Spec CommandSpec spec;

    @Option(names = {"-c", "--channelID"}, paramLabel = "ID", required = true, description = "The channel.")
    String channelId;

    @Override
    public Integer call() throws IOException, InterruptedException {
      HttpRequest request = HttpRequest.newBuilder(parent.uri("/" + channelId)).DELETE().build();
      return parent.report(spec, parent.http().send(request, HttpResponse.BodyHandlers.ofString()), 204);
    }
  }
}
