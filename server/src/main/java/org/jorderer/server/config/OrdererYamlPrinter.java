package org.jorderer.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jorderer.channel.config.GoDuration;
import org.jorderer.server.config.OrdererConfiguration.General;
import org.jorderer.server.config.OrdererConfiguration.Statsd;
import org.jorderer.server.config.OrdererConfiguration.Tls;

/**
 * Writes a configuration in orderer.yaml's layout. A small emitter of its own rather than a YAML
 * dumper so that the output reads like Fabric's sample: block style, empty values left blank,
 * durations in Go's form, and quotes only where YAML 1.1 or 1.2 would read a plain word otherwise.
 */
final class OrdererYamlPrinter {
  private static final Pattern PLAIN = Pattern.compile("^[A-Za-z0-9/._][A-Za-z0-9/._:@+-]*$");
  // Numbers in YAML 1.2's core schema or YAML 1.1 (underscores, base 60 as in 1:30); "127.0.0.1"
  // is none of them and stays plain.
  private static final Pattern NUMBER_LIKE = Pattern.compile(
      "^[-+]?(\\.[0-9_]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?$"
          + "|^0[xXoObB].*");
  // Words Go's yaml.v2 (YAML 1.1) or YAML 1.2 would read as something other than text.
  private static final Set<String> RESERVED = Set.of("true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", ".nan");

  private OrdererYamlPrinter() {}

  static String print(OrdererConfiguration c) {
    StringBuilder out = new StringBuilder("# Effective jorderer configuration, in Fabric's orderer.yaml layout\n");
    emitMap(out, tree(c), 0);
    return out.toString();
  }

  private static Map<String, Object> tree(OrdererConfiguration c) {
    General g = c.general();
    Map<String, Object> general = new LinkedHashMap<>();
    general.put("ListenAddress", g.listenAddress());
    general.put("ListenPort", g.listenPort());
    general.put("TLS", tls(g.tls()));
    Map<String, Object> cluster = new LinkedHashMap<>();
    cluster.put("ListenAddress", g.cluster().listenAddress());
    cluster.put("ListenPort", g.cluster().listenPort());
    cluster.put("ServerCertificate", g.cluster().serverCertificate());
    cluster.put("ServerPrivateKey", g.cluster().serverPrivateKey());
    cluster.put("ClientCertificate", g.cluster().clientCertificate());
    cluster.put("ClientPrivateKey", g.cluster().clientPrivateKey());
    cluster.put("RootCAs", g.cluster().rootCas());
    general.put("Cluster", cluster);
    Map<String, Object> keepalive = new LinkedHashMap<>();
    keepalive.put("ServerMinInterval", g.keepalive().serverMinInterval());
    keepalive.put("ServerInterval", g.keepalive().serverInterval());
    keepalive.put("ServerTimeout", g.keepalive().serverTimeout());
    general.put("Keepalive", keepalive);
    general.put("MaxRecvMsgSize", g.maxRecvMsgSize());
    general.put("MaxSendMsgSize", g.maxSendMsgSize());
    general.put("BootstrapMethod", g.bootstrapMethod().yamlName());
    general.put("LocalMSPDir", g.localMspDir());
    general.put("LocalMSPID", g.localMspId());
    Map<String, Object> authentication = new LinkedHashMap<>();
    authentication.put("TimeWindow", g.authentication().timeWindow());
    authentication.put("NoExpirationChecks", g.authentication().noExpirationChecks());
    general.put("Authentication", authentication);

    Map<String, Object> top = new LinkedHashMap<>();
    top.put("General", general);
    top.put("FileLedger", Map.of("Location", c.fileLedger().location()));
    Map<String, Object> operations = new LinkedHashMap<>();
    operations.put("ListenAddress", c.operations().listenAddress());
    operations.put("TLS", tls(c.operations().tls()));
    top.put("Operations", operations);
    Statsd s = c.metrics().statsd();
    Map<String, Object> statsd = new LinkedHashMap<>();
    statsd.put("Network", s.network());
    statsd.put("Address", s.address());
    statsd.put("WriteInterval", s.writeInterval());
    statsd.put("Prefix", s.prefix());
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("Provider", c.metrics().provider().yamlName());
    metrics.put("Statsd", statsd);
    top.put("Metrics", metrics);
    Map<String, Object> admin = new LinkedHashMap<>();
    admin.put("ListenAddress", c.admin().listenAddress());
    admin.put("TLS", tls(c.admin().tls()));
    top.put("Admin", admin);
    Map<String, Object> participation = new LinkedHashMap<>();
    participation.put("Enabled", c.channelParticipation().enabled());
    participation.put("MaxRequestBodySize", c.channelParticipation().maxRequestBodySize());
    top.put("ChannelParticipation", participation);
    top.put("Consensus", c.consensus().raw());
    return top;
  }

  private static Map<String, Object> tls(Tls tls) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Enabled", tls.enabled());
    m.put("PrivateKey", tls.privateKey());
    m.put("Certificate", tls.certificate());
    m.put("RootCAs", tls.rootCas());
    m.put("ClientAuthRequired", tls.clientAuthRequired());
    m.put("ClientRootCAs", tls.clientRootCas());
    return m;
  }

  private static void emitMap(StringBuilder out, Map<?, ?> map, int indent) {
    for (Map.Entry<?, ?> e : map.entrySet()) {
      out.append("  ".repeat(indent)).append(scalar(String.valueOf(e.getKey()))).append(':');
      Object v = e.getValue();
      if (v instanceof Optional<?> o) {
        v = o.orElse(null);
      }
      if (v instanceof Map<?, ?> m) {
        if (m.isEmpty()) {
          out.append(" {}\n");
        } else {
          out.append('\n');
          emitMap(out, m, indent + 1);
        }
      } else if (v instanceof List<?> l) {
        if (l.isEmpty()) {
          out.append(" []\n");
        } else {
          out.append('\n');
          emitList(out, l, indent + 1);
        }
      } else if (v == null) {
        out.append('\n');
      } else {
        out.append(' ').append(value(v)).append('\n');
      }
    }
  }

  private static void emitList(StringBuilder out, List<?> list, int indent) {
    for (Object item : list) {
      out.append("  ".repeat(indent)).append('-');
      if (item instanceof Map<?, ?> m && !m.isEmpty()) {
        // a nested mapping in a list: put it on its own lines, indented under the dash
        out.append('\n');
        emitMap(out, m, indent + 1);
      } else if (item instanceof List<?> l && !l.isEmpty()) {
        out.append('\n');
        emitList(out, l, indent + 1);
      } else if (item == null) {
        out.append('\n');
      } else {
        out.append(' ').append(item instanceof Map ? "{}" : item instanceof List ? "[]" : value(item)).append('\n');
      }
    }
  }

  private static String value(Object v) {
    if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
      return String.valueOf(v);
    }
    if (v instanceof Duration d) {
      return GoDuration.format(d);
    }
    if (v instanceof Path p) {
      return scalar(p.toString());
    }
    if (v instanceof Number) {
      return String.valueOf(v);
    }
    return scalar(String.valueOf(v));
  }

  /** Plain when YAML reads it back as the same text, else double-quoted. */
  static String scalar(String s) {
    if (PLAIN.matcher(s).matches() && !s.endsWith(":") && !NUMBER_LIKE.matcher(s).matches()
        && !RESERVED.contains(s.toLowerCase(java.util.Locale.ROOT))) {
      return s;
    }
    StringBuilder q = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\t' -> q.append("\\t");
        case '\r' -> q.append("\\r");
        default -> {
          if (ch < 0x20) {
            q.append(String.format("\\x%02x", (int) ch));
          } else {
            q.append(ch);
          }
        }
      }
    }
    return q.append('"').toString();
  }
}
