package org.jorderer.channel.configtx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigPolicy;
import org.hyperledger.fabric.protos.common.ConfigValue;

/**
 * A config tree flattened to its elements by key, as Fabric's {@code configtx/configmap.go} does:
 * {@code "[Group]  /Channel/Orderer"}, {@code "[Value]  /Channel/Orderer/BatchSize"} (two spaces
 * after Group and Value) and {@code "[Policy] /Channel/Admins"} (one) — the keys appear verbatim in
 * Fabric's error texts. Sorted, so that checks run in a stable order (Go's map order is random).
 */
final class ConfigMap {
  static final String ROOT = "Channel";
  static final String GROUP_PREFIX = "[Group]  ";
  static final String VALUE_PREFIX = "[Value]  ";
  static final String POLICY_PREFIX = "[Policy] ";
  private static final int MAX_ID_LENGTH = 249;
  // Fabric's "hacky fix" (configmap.go recurseConfigMap): with orderer capabilities present, an
  // empty mod_policy of a v1.0-era channel becomes "Admins" whenever the config is rebuilt.
  private static final String ORDERER_CAPABILITIES = VALUE_PREFIX + "/Channel/Orderer/Capabilities";
  private static final String DEFAULT_MOD_POLICY = "Admins";

  private ConfigMap() {}

  /**
   * Fabric's {@code mapConfig}: every element of {@code root} (the channel group, or a read or
   * write set rooted like one) by key; empty for an absent group.
   *
   * @throws ConfigUpdateException "Illegal characters in key: [Value]  " when a name is not a valid config ID
   */
  static Map<String, ConfigElement> of(ConfigGroup root, boolean present) throws ConfigUpdateException {
    Map<String, ConfigElement> result = new TreeMap<>();
    if (present) {
      recurse(result, List.of(ROOT), root);
    }
    return result;
  }

  private static void recurse(Map<String, ConfigElement> result, List<String> path, ConfigGroup group)
      throws ConfigUpdateException {
    List<String> parent = path.subList(0, path.size() - 1);
    add(result, ConfigElement.group(path.get(path.size() - 1), parent, group));
    for (Map.Entry<String, ConfigGroup> child : new TreeMap<>(group.getGroupsMap()).entrySet()) {
      List<String> next = new ArrayList<>(path);
      next.add(child.getKey());
      recurse(result, next, child.getValue());
    }
    for (Map.Entry<String, ConfigValue> value : new TreeMap<>(group.getValuesMap()).entrySet()) {
      add(result, ConfigElement.value(value.getKey(), path, value.getValue()));
    }
    for (Map.Entry<String, ConfigPolicy> policy : new TreeMap<>(group.getPoliciesMap()).entrySet()) {
      add(result, ConfigElement.policy(policy.getKey(), path, policy.getValue()));
    }
  }

  private static void add(Map<String, ConfigElement> result, ConfigElement element) throws ConfigUpdateException {
    String prefix = element.group() != null ? GROUP_PREFIX : element.value() != null ? VALUE_PREFIX : POLICY_PREFIX;
    if (validateConfigId(element.key()) != null) {
      // Fabric prints only the prefix here, not the path (addToMap formats before building it).
      throw new ConfigUpdateException("Illegal characters in key: " + prefix);
    }
    result.put(key(prefix, element.path(), element.key()), element);
  }

  static String key(String prefix, List<String> path, String name) {
    StringBuilder out = new StringBuilder(prefix);
    for (String element : path) {
      out.append('/').append(element);
    }
    return out.append('/').append(name).toString();
  }

  /** Fabric's {@code validateConfigID}: null when valid, else its error text. */
  static String validateConfigId(String id) {
    if (id.isEmpty()) {
      return "config ID illegal, cannot be empty";
    }
    if (id.length() > MAX_ID_LENGTH) {
      return "config ID illegal, cannot be longer than " + MAX_ID_LENGTH;
    }
    if (id.equals(".") || id.equals("..")) {
      return "name '" + id + "' for config ID is not allowed";
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
      if (!ok) {
        return "config ID '" + id + "' contains illegal characters";
      }
    }
    return null;
  }

  /**
   * Fabric's {@code configMapToConfig}: the channel group rebuilt from a flattened map. Each group
   * keeps the children its own element names, each taken from the map at its key.
   *
   * @throws ConfigUpdateException Fabric's "Missing value at path: ..." family
   */
  static ConfigGroup toChannelGroup(Map<String, ConfigElement> map) throws ConfigUpdateException {
    return rebuild("/" + ROOT, map, map.containsKey(ORDERER_CAPABILITIES));
  }

  private static ConfigGroup rebuild(String path, Map<String, ConfigElement> map, boolean fixModPolicies)
      throws ConfigUpdateException {
    String groupKey = GROUP_PREFIX + path;
    ConfigElement element = map.get(groupKey);
    if (element == null) {
      throw new ConfigUpdateException("Missing group at path: " + groupKey);
    }
    if (element.group() == null) {
      throw new ConfigUpdateException("ConfigGroup not found at group path: " + groupKey);
    }
    ConfigGroup source = element.group();
    ConfigGroup.Builder out = source.toBuilder().clearGroups().clearValues().clearPolicies();
    for (String name : source.getGroupsMap().keySet()) {
      out.putGroups(name, rebuild(path + "/" + name, map, fixModPolicies));
    }
    for (String name : source.getValuesMap().keySet()) {
      String valueKey = VALUE_PREFIX + path + "/" + name;
      ConfigElement value = map.get(valueKey);
      if (value == null) {
        throw new ConfigUpdateException("Missing value at path: " + valueKey);
      }
      if (value.value() == null) {
        throw new ConfigUpdateException("ConfigValue not found at value path: " + valueKey);
      }
      ConfigValue v = value.value();
      if (fixModPolicies && v.getModPolicy().isEmpty()) {
        v = v.toBuilder().setModPolicy(DEFAULT_MOD_POLICY).build();
      }
      out.putValues(name, v);
    }
    for (String name : source.getPoliciesMap().keySet()) {
      String policyKey = POLICY_PREFIX + path + "/" + name;
      ConfigElement policy = map.get(policyKey);
      if (policy == null) {
        throw new ConfigUpdateException("Missing policy at path: " + policyKey);
      }
      if (policy.policy() == null) {
        throw new ConfigUpdateException("ConfigPolicy not found at policy path: " + policyKey);
      }
      ConfigPolicy p = policy.policy();
      if (fixModPolicies && p.getModPolicy().isEmpty()) {
        p = p.toBuilder().setModPolicy(DEFAULT_MOD_POLICY).build();
      }
      out.putPolicies(name, p);
    }
    if (fixModPolicies && out.getModPolicy().isEmpty()) {
      out.setModPolicy(DEFAULT_MOD_POLICY);
    }
    return out.build();
  }
}
