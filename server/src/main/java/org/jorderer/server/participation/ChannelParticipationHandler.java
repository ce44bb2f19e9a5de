package org.jorderer.server.participation;

import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.hyperledger.fabric.protos.common.Block;
import org.jorderer.server.channels.ChannelRegistry;
import org.jorderer.server.http.Json;
import org.jorderer.server.channels.ParticipationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fabric's channel participation API ({@code /participation/v1/channels}), as {@code osnadmin}
 * uses it: list, show, join with a config block (multipart form field {@code config-block}), remove.
 * Paths, methods, status codes, headers and JSON bodies are Fabric's
 * ({@code orderer/common/channelparticipation/restapi.go}).
 */
public final class ChannelParticipationHandler implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(ChannelParticipationHandler.class);
  static final String BASE = "/participation/v1/";
  static final String CHANNELS = BASE + "channels";
  static final String CONFIG_BLOCK = "config-block";
  // configtx.ValidateChannelID: lower-case letters, digits, '.' and '-', starting with a letter.
  private static final Pattern CHANNEL_ID = Pattern.compile("[a-z][a-z0-9.-]*");

  private final ChannelRegistry channels;
  private final boolean enabled;
  private final long maxRequestBodyBytes;

  /**
   * @param enabled {@code ChannelParticipation.Enabled}
   * @param maxRequestBodyBytes {@code ChannelParticipation.MaxRequestBodySize} (Fabric: 1 MB)
   */
  public ChannelParticipationHandler(ChannelRegistry channels, boolean enabled, long maxRequestBodyBytes) {
    this.channels = channels;
    this.enabled = enabled;
    this.maxRequestBodyBytes = maxRequestBodyBytes;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      route(exchange);
    } catch (RuntimeException e) {
      log.error("Channel participation request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
      sendError(exchange, 500, "internal error");
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    if (!enabled) {
      sendError(exchange, 503, "channel participation API is disabled");
      return;
    }
    String path = exchange.getRequestURI().getPath();
    String method = exchange.getRequestMethod();
    if (path.equals(BASE)) {
      // Fabric's router matches the path with GET only; another method is a method mismatch (405).
      if (!method.equals("GET")) {
        notAllowed(exchange, "invalid request method: " + method, "GET");
        return;
      }
      exchange.getResponseHeaders().set("Location", CHANNELS);
      exchange.sendResponseHeaders(302, -1);
      return;
    }
    if (path.equals(CHANNELS)) {
      switch (method) {
        case "GET" -> listAll(exchange);
        case "POST" -> join(exchange);
        default -> notAllowed(exchange, "invalid request method: " + method, "GET, POST");
      }
      return;
    }
    if (path.startsWith(CHANNELS + "/") && path.indexOf('/', CHANNELS.length() + 1) < 0) {
      String channelId = path.substring(CHANNELS.length() + 1);
      switch (method) {
        case "GET" -> listOne(exchange, channelId);
        case "DELETE" -> remove(exchange, channelId);
        default -> notAllowed(exchange, "invalid request method: " + method, "GET, DELETE");
      }
      return;
    }
    sendError(exchange, 404, "404 page not found");
  }

  private void listAll(HttpExchange exchange) throws IOException {
    if (!acceptsJson(exchange)) {
      return;
    }
    StringBuilder body = new StringBuilder("{\"systemChannel\":null,\"channels\":");
    List<String> ids = channels.participationIds();
    if (ids.isEmpty()) {
      body.append("null"); // Go encodes the registrar's nil slice as null
    } else {
      body.append('[');
      for (int i = 0; i < ids.size(); i++) {
        body.append(i == 0 ? "" : ",").append("{\"name\":").append(Json.quote(ids.get(i)))
            .append(",\"url\":").append(Json.quote(CHANNELS + "/" + ids.get(i))).append('}');
      }
      body.append(']');
    }
    body.append("}\n");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    send(exchange, 200, body.toString());
  }

  private void listOne(HttpExchange exchange, String channelId) throws IOException {
    if (!acceptsJson(exchange) || !validChannelId(exchange, channelId)) {
      return;
    }
    ChannelRegistry.ParticipationInfo channel = channels.participationInfo(channelId).orElse(null);
    if (channel == null) {
      sendError(exchange, 404, "channel does not exist");
      return;
    }
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    send(exchange, 200, info(channel));
  }

  private void join(HttpExchange exchange) throws IOException {
    String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      sendError(exchange, 400, "unsupported Content-Type: [" + (contentType == null ? "" : contentType) + "]");
      return;
    }
    if (!acceptsJson(exchange)) {
      return;
    }
    String boundary = MultipartForm.boundary(contentType);
    if (boundary == null) {
      sendError(exchange, 400, "cannot read form from request body: no multipart boundary param in Content-Type");
      return;
    }
    byte[] body = readBody(exchange.getRequestBody());
    if (body == null) {
      sendError(exchange, 400, "cannot read form from request body: http: request body too large");
      return;
    }
    List<MultipartForm.Part> parts;
    try {
      parts = MultipartForm.parse(body, boundary);
    } catch (IllegalArgumentException e) {
      sendError(exchange, 400, "cannot read form from request body: " + e.getMessage());
      return;
    }
    MultipartForm.Part blockPart = parts.stream()
        .filter(p -> p.file() && p.name().equals(CONFIG_BLOCK)).findFirst().orElse(null);
    if (blockPart == null) {
      sendError(exchange, 400, "form does not contains part key: " + CONFIG_BLOCK);
      return;
    }
    if (parts.size() != 1) {
      sendError(exchange, 400, "form contains too many parts");
      return;
    }
    Block block;
    try {
      block = Block.parseFrom(blockPart.content());
    } catch (InvalidProtocolBufferException e) {
      sendError(exchange, 400, "cannot unmarshal file part " + CONFIG_BLOCK + " into a block: " + e.getMessage());
      return;
    }
    ChannelRegistry.ParticipationInfo joined;
    try {
      joined = channels.join(block);
    } catch (ParticipationException e) {
      switch (e.reason()) {
        case ALREADY_EXISTS -> notAllowed(exchange, "cannot join: " + e.getMessage(), "GET, DELETE");
        case NOT_FOUND -> sendError(exchange, 404, "cannot join: " + e.getMessage());
        default -> sendError(exchange, 400, "invalid join block: " + e.getMessage());
      }
      return;
    }
    log.info("Joined channel {} through the channel participation API", joined.name());
    exchange.getResponseHeaders().set("Location", CHANNELS + "/" + joined.name());
    send(exchange, 201, info(joined));
  }

  private void remove(HttpExchange exchange, String channelId) throws IOException {
    if (!acceptsJson(exchange) || !validChannelId(exchange, channelId)) {
      return;
    }
    try {
      channels.remove(channelId);
    } catch (ParticipationException e) {
      sendError(exchange, e.reason() == ParticipationException.Reason.NOT_FOUND ? 404 : 400,
          "cannot remove: " + e.getMessage());
      return;
    }
    exchange.sendResponseHeaders(204, -1);
  }

  private static String info(ChannelRegistry.ParticipationInfo channel) {
    return "{\"name\":" + Json.quote(channel.name())
        + ",\"url\":" + Json.quote(CHANNELS + "/" + channel.name())
        + ",\"consensusRelation\":" + Json.quote(channel.consensusRelation())
        + ",\"status\":" + Json.quote(channel.status())
        + ",\"height\":" + channel.height() + "}\n";
  }

  private boolean validChannelId(HttpExchange exchange, String channelId) throws IOException {
    String problem = null;
    if (channelId.isEmpty()) {
      problem = "channel ID illegal, cannot be empty";
    } else if (channelId.length() > 249) {
      problem = "channel ID illegal, cannot be longer than 249";
    } else if (!CHANNEL_ID.matcher(channelId).matches()) {
      problem = "'" + channelId + "' contains illegal characters";
    }
    if (problem != null) {
      sendError(exchange, 400, "invalid channel ID: " + problem);
      return false;
    }
    return true;
  }

  /** Fabric answers in JSON only: a client that accepts nothing JSON-like gets 406. */
  private boolean acceptsJson(HttpExchange exchange) throws IOException {
    String accept = exchange.getRequestHeaders().getFirst("Accept");
    if (accept == null || accept.isEmpty()) {
      return true;
    }
    for (String option : accept.split(",")) {
      if (option.contains("application/json") || option.contains("application/*") || option.contains("*/*")) {
        return true;
      }
    }
    sendError(exchange, 406, "response Content-Type is application/json only");
    return false;
  }

  private byte[] readBody(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] chunk = new byte[16 * 1024];
    int n;
    while ((n = in.read(chunk)) > 0) {
      if (out.size() + n > maxRequestBodyBytes) {
        return null;
      }
      out.write(chunk, 0, n);
    }
    return out.toByteArray();
  }

  private static void notAllowed(HttpExchange exchange, String message, String allow) throws IOException {
    exchange.getResponseHeaders().set("Allow", allow);
    sendError(exchange, 405, message);
  }

  private static void sendError(HttpExchange exchange, int status, String message) throws IOException {
    send(exchange, status, "{\"error\":" + Json.quote(message) + "}\n");
  }

  private static void send(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
