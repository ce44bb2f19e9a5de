package org.jorderer.server.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jorderer.channel.config.GoDuration;
import org.jorderer.server.config.OrdererConfiguration.Admin;
import org.jorderer.server.config.OrdererConfiguration.Authentication;
import org.jorderer.server.config.OrdererConfiguration.BootstrapMethod;
import org.jorderer.server.config.OrdererConfiguration.ChannelParticipation;
import org.jorderer.server.config.OrdererConfiguration.Cluster;
import org.jorderer.server.config.OrdererConfiguration.Consensus;
import org.jorderer.server.config.OrdererConfiguration.FileLedger;
import org.jorderer.server.config.OrdererConfiguration.General;
import org.jorderer.server.config.OrdererConfiguration.Keepalive;
import org.jorderer.server.config.OrdererConfiguration.Metrics;
import org.jorderer.server.config.OrdererConfiguration.MetricsProvider;
import org.jorderer.server.config.OrdererConfiguration.Operations;
import org.jorderer.server.config.OrdererConfiguration.Statsd;
import org.jorderer.server.config.OrdererConfiguration.Tls;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * One load: the file's keys, then the environment's, each checked as it is turned into its type.
 * Problems are collected rather than thrown at the first so an operator fixes them in one go.
 */
final class OrdererYamlLoader {
  /** Fabric's byte-size form ({@code viperutil}'s byteSizeDecodeHook): binary K, M, G with an optional B. */
  private static final Pattern SIZE = Pattern.compile("^([0-9]+)\\s*([kKmMgG])[bB]?$");
  private static final Pattern DIGITS = Pattern.compile("^[0-9]+$");
  // YAML 1.1 (Go's yaml.v2) booleans plus Go's strconv.ParseBool forms, which viper applies to
  // environment values; YAML 1.2 (snakeyaml-engine) only knows true/false, so the rest arrive as text.
  private static final Set<String> TRUE_WORDS = Set.of("true", "t", "1", "yes", "y", "on");
  private static final Set<String> FALSE_WORDS = Set.of("false", "f", "0", "no", "n", "off");

  /** A value from the file (envName null) or from an environment variable. */
  private record Setting(String key, Object value, String envName) {
    String where() {
      return envName == null ? key : key + " (from " + envName + ")";
    }
  }

  private final Path configDir;
  private final Map<String, Setting> settings = new HashMap<>();
  private final Map<String, Object> consensus = new LinkedHashMap<>();
  private final List<String> warnings = new ArrayList<>();
  private final List<String> ignored = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();

  private OrdererYamlLoader(Optional<Path> file) {
    this.configDir = file.map(f -> {
      Path parent = f.toAbsolutePath().normalize().getParent();
      return parent == null ? f.toAbsolutePath().getRoot() : parent;
    }).orElse(null);
  }

  static LoadedConfig load(Optional<Path> file, Map<String, String> env, Path embeddedDataDir) {
    OrdererYamlLoader loader = new OrdererYamlLoader(file);
    OrdererConfiguration base;
    if (file.isPresent()) {
      base = OrdererConfiguration.fabricDefaults();
      loader.readFile(file.get());
    } else {
      base = OrdererConfiguration.embeddedDefault(embeddedDataDir);
      loader.consensus.putAll(base.consensus().raw());
    }
    loader.readEnvironment(env);
    // build even after reading problems: the defaults stand in, and every bad value gets reported
    OrdererConfiguration config = loader.build(base);
    loader.check(config);
    if (!loader.problems.isEmpty()) {
      throw new ConfigurationException(loader.problems);
    }
    return new LoadedConfig(config, file.map(f -> f.toAbsolutePath().normalize()), loader.warnings, loader.ignored);
  }

  // ---- reading ---------------------------------------------------------------------------------

  private void readFile(Path path) {
    String text;
    try {
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      problems.add(path + ": no such configuration file");
      return;
    } catch (java.nio.charset.CharacterCodingException e) {
      // Files.readString reports only "Input length = 1"; say what is wrong with the file instead.
      problems.add(path + ": is not UTF-8 text (orderer.yaml must be a YAML text file)");
      return;
    } catch (IOException e) {
      problems.add(path + ": cannot be read: " + e.getMessage());
      return;
    }
    Object document;
    try {
      document = new Load(LoadSettings.builder().setLabel(path.toString()).setAllowDuplicateKeys(false).build())
          .loadFromString(text);
    } catch (org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException e) {
      // The engine's own message spans several lines with a drawing of the spot; one line is enough.
      String where = e.getProblemMark().or(e::getContextMark)
          .map(m -> " at line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1)).orElse("");
      String context = e.getContext() == null ? "" : e.getContext() + ": ";
      problems.add(path + ": not valid YAML" + where + ": " + context + e.getProblem());
      return;
    } catch (YamlEngineException e) {
      problems.add(path + ": not valid YAML: " + e.getMessage());
      return;
    }
    if (document == null) {
      // All defaults, as Fabric; said out loud, since an empty file is more often a mistake.
      warnings.add(path + ": the file is empty (no keys); every setting takes its default");
      return;
    }
    if (!(document instanceof Map<?, ?> top)) {
      problems.add(path + ": expected a YAML mapping of sections (General, FileLedger, ...), got " + describe(document));
      return;
    }
    readSection("", top);
  }

  private void readSection(String prefix, Map<?, ?> section) {
    for (Map.Entry<?, ?> e : section.entrySet()) {
      String name = String.valueOf(e.getKey());
      String path = prefix.isEmpty() ? name : prefix + "." + name;
      Object value = e.getValue();
      if (prefix.isEmpty() && name.equalsIgnoreCase(OrdererYamlKeys.CONSENSUS)) {
        if (value instanceof Map<?, ?> m) {
          m.forEach((k, v) -> consensus.put(String.valueOf(k), v));
        } else if (value != null) {
          problems.add("Consensus: expected a section of the consensus plugin's keys, got " + describe(value));
        }
        continue;
      }
      Optional<String> leaf = OrdererYamlKeys.leaf(path);
      if (leaf.isPresent()) {
        Setting earlier = settings.put(leaf.get(), new Setting(leaf.get(), value, null));
        if (earlier != null) {
          // viper folds case, so "ListenPort" and "listenport" are one key written twice
          problems.add(leaf.get() + ": set twice in the file (keys are matched without regard to case)");
        }
        continue;
      }
      Optional<String> knownSection = OrdererYamlKeys.section(path);
      if (knownSection.isPresent()) {
        if (value instanceof Map<?, ?> m) {
          readSection(knownSection.get(), m);
        } else if (value != null) {
          problems.add(knownSection.get() + ": expected a section of keys, got " + describe(value));
        }
        continue;
      }
      if (OrdererYamlKeys.ignoredFabric(path).isPresent()) {
        ignored.add(path);
        continue;
      }
      warnings.add(path + ": not an orderer.yaml key jorderer knows; ignored");
    }
  }

  private void readEnvironment(Map<String, String> env) {
    String consensusPrefix = OrdererYamlKeys.envName(OrdererYamlKeys.CONSENSUS) + "_";
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      String value = e.getValue();
      if (!name.startsWith(OrdererYamlKeys.ENV_PREFIX) || value == null || value.isEmpty()) {
        continue; // viper treats an empty variable as unset
      }
      Optional<String> leaf = OrdererYamlKeys.leafForEnv(name);
      if (leaf.isPresent()) {
        settings.put(leaf.get(), new Setting(leaf.get(), value, name));
        continue;
      }
      if (name.startsWith(consensusPrefix)) {
        Optional<String> key = consensusKeyForEnv(name);
        if (key.isPresent()) {
          consensus.put(key.get(), value);
          continue;
        }
      }
      Optional<String> fabric = OrdererYamlKeys.ignoredFabricForEnv(name);
      if (fabric.isPresent()) {
        ignored.add(name + " (" + fabric.get() + ")");
        continue;
      }
      warnings.add(name + ": names no orderer.yaml key jorderer knows; ignored");
    }
  }

  private Optional<String> consensusKeyForEnv(String name) {
    for (String key : consensus.keySet()) {
      if (OrdererYamlKeys.envName(OrdererYamlKeys.CONSENSUS + "." + key).equals(name)) {
        return Optional.of(key);
      }
    }
    for (String key : OrdererYamlKeys.CONSENSUS_KEYS) {
      if (OrdererYamlKeys.envName(OrdererYamlKeys.CONSENSUS + "." + key).equals(name)) {
        return Optional.of(key);
      }
    }
    return Optional.empty();
  }

  // ---- building --------------------------------------------------------------------------------

  private OrdererConfiguration build(OrdererConfiguration base) {
    General g = base.general();
    Keepalive k = g.keepalive();
    Statsd s = base.metrics().statsd();
    General general = new General(
        string("General.ListenAddress", g.listenAddress()),
        port("General.ListenPort", g.listenPort()),
        tls("General.TLS", g.tls()),
        new Keepalive(
            duration("General.Keepalive.ServerMinInterval", k.serverMinInterval()),
            duration("General.Keepalive.ServerInterval", k.serverInterval()),
            duration("General.Keepalive.ServerTimeout", k.serverTimeout())),
        messageSize("General.MaxRecvMsgSize", g.maxRecvMsgSize()),
        messageSize("General.MaxSendMsgSize", g.maxSendMsgSize()),
        choice("General.BootstrapMethod", g.bootstrapMethod(), BootstrapMethod.values(), BootstrapMethod::yamlName),
        path("General.LocalMSPDir", g.localMspDir()),
        string("General.LocalMSPID", g.localMspId()),
        new Authentication(
            duration("General.Authentication.TimeWindow", g.authentication().timeWindow()),
            bool("General.Authentication.NoExpirationChecks", g.authentication().noExpirationChecks())),
        new Cluster(
            stringAllowingEmpty("General.Cluster.ListenAddress", g.cluster().listenAddress()),
            port("General.Cluster.ListenPort", g.cluster().listenPort()),
            optionalPath("General.Cluster.ServerCertificate", g.cluster().serverCertificate()),
            optionalPath("General.Cluster.ServerPrivateKey", g.cluster().serverPrivateKey()),
            optionalPath("General.Cluster.ClientCertificate", g.cluster().clientCertificate()),
            optionalPath("General.Cluster.ClientPrivateKey", g.cluster().clientPrivateKey()),
            pathList("General.Cluster.RootCAs", g.cluster().rootCas())));
    return new OrdererConfiguration(
        general,
        new FileLedger(path("FileLedger.Location", base.fileLedger().location())),
        new Operations(hostPort("Operations.ListenAddress", base.operations().listenAddress()),
            tls("Operations.TLS", base.operations().tls())),
        new Metrics(
            choice("Metrics.Provider", base.metrics().provider(), MetricsProvider.values(), MetricsProvider::yamlName),
            new Statsd(
                choice("Metrics.Statsd.Network", s.network(), new String[] {"udp", "tcp"}, Function.identity()),
                hostPort("Metrics.Statsd.Address", s.address()),
                duration("Metrics.Statsd.WriteInterval", s.writeInterval()),
                stringAllowingEmpty("Metrics.Statsd.Prefix", s.prefix()))),
        new Admin(hostPort("Admin.ListenAddress", base.admin().listenAddress()), tls("Admin.TLS", base.admin().tls())),
        new ChannelParticipation(
            bool("ChannelParticipation.Enabled", base.channelParticipation().enabled()),
            requestBodySize("ChannelParticipation.MaxRequestBodySize",
                base.channelParticipation().maxRequestBodySize())),
        new Consensus(consensus));
  }

  private Tls tls(String section, Tls base) {
    return new Tls(
        bool(section + ".Enabled", base.enabled()),
        optionalPath(section + ".PrivateKey", base.privateKey()),
        optionalPath(section + ".Certificate", base.certificate()),
        pathList(section + ".RootCAs", base.rootCas()),
        bool(section + ".ClientAuthRequired", base.clientAuthRequired()),
        pathList(section + ".ClientRootCAs", base.clientRootCas()));
  }

  /** Rules that involve more than one key; Fabric enforces the same ones at start-up. */
  private void check(OrdererConfiguration c) {
    requireTlsFiles("General.TLS", c.general().tls());
    requireTlsFiles("Operations.TLS", c.operations().tls());
    requireTlsFiles("Admin.TLS", c.admin().tls());
    if (c.admin().tls().enabled() && !c.admin().tls().clientAuthRequired()) {
      problems.add("Admin.TLS.ClientAuthRequired: must be true when Admin.TLS.Enabled is true "
          + "(the admin endpoint requires mutual TLS, as in Fabric)");
    }
    checkCluster(c);
    warnNoClientRoots("Operations.TLS", c.operations().tls());
    warnNoClientRoots("Admin.TLS", c.admin().tls());
    if (c.general().bootstrapMethod() == BootstrapMethod.FILE) {
      warnings.add("General.BootstrapMethod: 'file' bootstraps a system channel, which jorderer does not have; "
          + "treated as 'none' (join channels through the channel participation API)");
    }
    if (c.metrics().provider() == MetricsProvider.STATSD) {
      warnings.add("Metrics.Provider: jorderer does not push to statsd; Metrics.Statsd is ignored");
    }
  }

  /**
   * Fabric's rules for {@code General.Cluster}: ListenPort, ListenAddress, ServerCertificate and
   * ServerPrivateKey are set together or not at all; the client pair falls back to General.TLS's.
   * Without a listener Fabric would carry Raft on the general port; jorderer cannot, and says so.
   */
  private void checkCluster(OrdererConfiguration c) {
    Cluster cluster = c.general().cluster();
    Map<String, Boolean> listener = new LinkedHashMap<>();
    listener.put("General.Cluster.ListenPort", cluster.listenPort() != 0);
    listener.put("General.Cluster.ListenAddress", !cluster.listenAddress().isEmpty());
    listener.put("General.Cluster.ServerCertificate", cluster.serverCertificate().isPresent());
    listener.put("General.Cluster.ServerPrivateKey", cluster.serverPrivateKey().isPresent());
    boolean any = listener.containsValue(true);
    if (any && listener.containsValue(false)) {
      List<String> missing = new ArrayList<>();
      listener.forEach((key, set) -> {
        if (!set) {
          missing.add(key);
        }
      });
      problems.add(String.join(", ", missing) + ": required with the other General.Cluster listener keys "
          + "(ListenPort, ListenAddress, ServerCertificate and ServerPrivateKey are set together or not at all)");
    }
    if (cluster.clientCertificate().isPresent() != cluster.clientPrivateKey().isPresent()) {
      problems.add("General.Cluster.ClientCertificate and General.Cluster.ClientPrivateKey: set both or neither");
    }
    if (cluster.listening() && cluster.clientCertificate().isEmpty()
        && (c.general().tls().certificate().isEmpty() || c.general().tls().privateKey().isEmpty())) {
      problems.add("General.Cluster.ClientCertificate: required for the cluster listener, or set "
          + "General.TLS.Certificate and General.TLS.PrivateKey to re-use them as the cluster client key pair");
    }
    if (!cluster.listening() && cluster.clientCertificate().isPresent()) {
      warnings.add("General.Cluster.ClientCertificate: set without General.Cluster.ListenPort; jorderer runs Raft "
          + "only on a cluster listener of its own, so this node runs no etcdraft channels (see docs/raft.md)");
    }
    positiveDuration("Consensus.TickIntervalOverride", c.consensus().tickIntervalOverride(), "100ms");
    positiveDuration("Consensus.BroadcastLeaderWait", c.consensus().broadcastLeaderWait(), "15s");
  }

  private void positiveDuration(String key, Optional<String> value, String example) {
    if (value.isEmpty()) {
      return;
    }
    try {
      Duration d = GoDuration.parse(value.get().trim());
      if (d.isZero() || d.isNegative()) {
        problems.add(key + ": expected a positive Go duration such as " + example + ", got '" + value.get() + "'");
      }
    } catch (IllegalArgumentException e) {
      problems.add(key + ": expected a Go duration such as " + example + ", got '" + value.get() + "'");
    }
  }

  private void requireTlsFiles(String section, Tls tls) {
    if (!tls.enabled()) {
      return;
    }
    if (tls.certificate().isEmpty()) {
      problems.add(section + ".Certificate: required when " + section
          + ".Enabled is true; expected the path of a PEM certificate");
    }
    if (tls.privateKey().isEmpty()) {
      problems.add(section + ".PrivateKey: required when " + section
          + ".Enabled is true; expected the path of a PEM private key");
    }
  }

  private void warnNoClientRoots(String section, Tls tls) {
    if (tls.enabled() && tls.clientAuthRequired() && tls.clientRootCas().isEmpty()) {
      warnings.add(section + ".ClientRootCAs: empty while client certificates are required; no client can connect");
    }
  }

  // ---- typed values ----------------------------------------------------------------------------

  /** The setting's scalar text, trimmed; null when unset or empty; a problem when not a scalar. */
  private String text(Setting s) {
    Object v = s.value();
    if (v == null) {
      return null;
    }
    if (v instanceof Map || v instanceof List) {
      problems.add(s.where() + ": expected a single value, got " + describe(v));
      return null;
    }
    String t = String.valueOf(v).trim();
    return t.isEmpty() ? null : t;
  }

  private String string(String key, String dflt) {
    Setting s = settings.get(key);
    String t = s == null ? null : text(s);
    return t == null ? dflt : t; // Fabric fills an empty value with the default
  }

  private String stringAllowingEmpty(String key, String dflt) {
    Setting s = settings.get(key);
    if (s == null) {
      return dflt;
    }
    String t = text(s);
    return t == null ? "" : t;
  }

  private int port(String key, int dflt) {
    Setting s = settings.get(key);
    String t = s == null ? null : text(s);
    if (t == null) {
      return dflt;
    }
    if (DIGITS.matcher(t).matches() && t.length() <= 5 && Integer.parseInt(t) <= 65535) {
      return Integer.parseInt(t);
    }
    problems.add(s.where() + ": expected an integer from 0 to 65535, got '" + t + "'");
    return dflt;
  }

  private boolean bool(String key, boolean dflt) {
    Setting s = settings.get(key);
    String t = s == null ? null : text(s);
    if (t == null) {
      return dflt;
    }
    String word = t.toLowerCase(Locale.ROOT);
    if (TRUE_WORDS.contains(word)) {
      return true;
    }
    if (FALSE_WORDS.contains(word)) {
      return false;
    }
    problems.add(s.where() + ": expected a boolean, true or false, got '" + t + "'");
    return dflt;
  }

  private Duration duration(String key, Duration dflt) {
    Setting s = settings.get(key);
    String t = s == null ? null : text(s);
    if (t == null) {
      return dflt;
    }
    Duration d;
    try {
      d = GoDuration.parse(t);
    } catch (IllegalArgumentException e) {
      problems.add(s.where() + ": expected a Go duration such as 20s or 2h, got '" + t + "'");
      return dflt;
    }
    if (d.isNegative()) {
      problems.add(s.where() + ": expected a Go duration such as 20s or 2h that is not negative, got '" + t + "'");
      return dflt;
    }
    return d.isZero() ? dflt : d; // Fabric treats 0 as unset
  }

  private int messageSize(String key, int dflt) {
    Setting s = settings.get(key);
    String t = s == null ? null : text(s);
    if (t == null) {
      return dflt;
    }
    long size = parseSize(t);
    if (size < 0 || size > Integer.MAX_VALUE) {
      problems.add(s.where() + ": expected a size in bytes from 0 to 2147483647 such as 104857600 or 100 MB, got '"
          + t + "'");
      return dflt;
    }
    return size == 0 ? dflt : (int) size; // Fabric treats 0 as unset
  }

  private long requestBodySize(String key, long dflt) {
    Setting s = settings.get(key);
    String t = s == null ? null : text(s);
    if (t == null) {
      return dflt;
    }
    long size = parseSize(t);
    if (size <= 0 || size > 0xFFFF_FFFFL) {
      // Fabric accepts 0 and then refuses every join request; refusing it here is kinder
      problems.add(s.where() + ": expected a size in bytes from 1 to 4294967295 such as 1048576 or 1 MB, got '"
          + t + "'");
      return dflt;
    }
    return size;
  }

  /** Bytes, or -1 when {@code t} is neither digits nor Fabric's size form. */
  static long parseSize(String t) {
    try {
      if (DIGITS.matcher(t).matches()) {
        return Long.parseLong(t);
      }
      Matcher m = SIZE.matcher(t);
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        int shift = switch (Character.toLowerCase(m.group(2).charAt(0))) {
          case 'k' -> 10;
          case 'm' -> 20;
          default -> 30;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
          return -1;
        }
        return n << shift;
      }
    } catch (NumberFormatException tooLong) {
      return -1;
    }
    return -1;
  }

  private String hostPort(String key, String dflt) {
    Setting s = settings.get(key);
    String t = s == null ? null : text(s);
    if (t == null) {
      return dflt;
    }
    if (isHostPort(t)) {
      return t;
    }
    problems.add(s.where() + ": expected HOST:PORT such as 127.0.0.1:8443, got '" + t + "'");
    return dflt;
  }

  /** Go's net.SplitHostPort shape: host (possibly empty, IPv6 in brackets), a colon, a port 0..65535. */
  static boolean isHostPort(String t) {
    String host;
    String port;
    if (t.startsWith("[")) {
      int close = t.indexOf("]:");
      if (close < 0) {
        return false;
      }
      host = t.substring(1, close);
      port = t.substring(close + 2);
    } else {
      int colon = t.lastIndexOf(':');
      if (colon < 0) {
        return false;
      }
      host = t.substring(0, colon);
      port = t.substring(colon + 1);
      if (host.contains(":")) {
        return false; // an IPv6 host must be bracketed
      }
    }
    return !host.chars().anyMatch(Character::isWhitespace) && DIGITS.matcher(port).matches() && port.length() <= 5
        && Integer.parseInt(port) <= 65535;
  }

  private <T> T choice(String key, T dflt, T[] choices, Function<T, String> yamlName) {
    Setting s = settings.get(key);
    String t = s == null ? null : text(s);
    if (t == null) {
      return dflt;
    }
    for (T choice : choices) {
      if (yamlName.apply(choice).equalsIgnoreCase(t)) {
        return choice;
      }
    }
    List<String> names = new ArrayList<>();
    for (T choice : choices) {
      names.add(yamlName.apply(choice));
    }
    String expected = names.size() == 2 ? names.get(0) + " or " + names.get(1)
        : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    problems.add(s.where() + ": expected " + expected + ", got '" + t + "'");
    return dflt;
  }

  private Path path(String key, Path dflt) {
    Setting s = settings.get(key);
    String t = s == null ? null : text(s);
    if (t == null) {
      return resolve(dflt); // Fabric resolves its defaults ("msp") against the file's folder too
    }
    Path p = toPath(s, t);
    return p == null ? resolve(dflt) : resolve(p);
  }

  private Optional<Path> optionalPath(String key, Optional<Path> dflt) {
    Setting s = settings.get(key);
    if (s == null) {
      return dflt.map(this::resolve);
    }
    String t = text(s);
    if (t == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(toPath(s, t)).map(this::resolve);
  }

  private List<Path> pathList(String key, List<Path> dflt) {
    Setting s = settings.get(key);
    if (s == null) {
      return dflt.stream().map(this::resolve).toList();
    }
    List<String> items = new ArrayList<>();
    Object v = s.value();
    if (v instanceof List<?> list) {
      for (Object item : list) {
        if (item instanceof Map || item instanceof List) {
          problems.add(s.where() + ": expected a list of file paths, got an entry that is " + describe(item));
        } else if (item != null && !String.valueOf(item).isBlank()) {
          items.add(String.valueOf(item).trim());
        }
      }
    } else if (v instanceof Map) {
      problems.add(s.where() + ": expected a list of file paths such as [a.pem, b.pem], got " + describe(v));
    } else if (v != null) {
      items.addAll(splitList(String.valueOf(v)));
    }
    List<Path> paths = new ArrayList<>();
    for (String item : items) {
      Path p = toPath(s, item);
      if (p != null) {
        paths.add(resolve(p));
      }
    }
    return List.copyOf(paths);
  }

  /**
   * Fabric's text form of a list (viperutil's decode hook, used for environment values): "[a, b]"
   * splits on commas with each item trimmed; any other text is a one-item list.
   */
  static List<String> splitList(String raw) {
    String t = raw.trim();
    List<String> items = new ArrayList<>();
    if (t.length() > 1 && t.startsWith("[") && t.endsWith("]")) {
      for (String item : t.substring(1, t.length() - 1).split(",")) {
        if (!item.isBlank()) {
          items.add(item.trim());
        }
      }
    } else if (!t.isEmpty()) {
      items.add(t);
    }
    return items;
  }

  private Path toPath(Setting s, String t) {
    try {
      return Path.of(t);
    } catch (InvalidPathException e) {
      problems.add(s.where() + ": expected a file path, got '" + t + "' (" + e.getReason() + ")");
      return null;
    }
  }

  /** Fabric's TranslatePath: a relative path is taken from the configuration file's folder. */
  private Path resolve(Path p) {
    if (configDir == null || p.isAbsolute()) {
      return p;
    }
    return configDir.resolve(p).normalize();
  }

  private static String describe(Object v) {
    if (v instanceof Map) {
      return "a section of keys";
    }
    if (v instanceof List) {
      return "a list";
    }
    return "'" + v + "'";
  }
}
