package org.jorderer.channel.configtx;

import java.util.List;
import org.hyperledger.fabric.protos.common.ConfigGroup;
import org.hyperledger.fabric.protos.common.ConfigPolicy;
import org.hyperledger.fabric.protos.common.ConfigValue;

/**
 * One element of a config tree flattened by {@link ConfigMap} (Fabric's {@code configtx.comparable}):
 * exactly one of group, value or policy, its key and the path of the group holding it.
 *
 * @param key the element's name in its parent ("Channel" for the root group)
 * @param path the names of the groups from the root down to the parent (empty for the root group)
 */
record ConfigElement(String key, List<String> path, ConfigGroup group, ConfigValue value, ConfigPolicy policy) {
  ConfigElement {
    path = List.copyOf(path);
  }

  static ConfigElement group(String key, List<String> path, ConfigGroup group) {
    return new ConfigElement(key, path, group, null, null);
  }

  static ConfigElement value(String key, List<String> path, ConfigValue value) {
    return new ConfigElement(key, path, null, value, null);
  }

  static ConfigElement policy(String key, List<String> path, ConfigPolicy policy) {
    return new ConfigElement(key, path, null, null, policy);
  }

  long version() {
    if (group != null) {
      return group.getVersion();
    }
    return value != null ? value.getVersion() : policy.getVersion();
  }

  String modPolicy() {
    if (group != null) {
      return group.getModPolicy();
    }
    return value != null ? value.getModPolicy() : policy.getModPolicy();
  }

  boolean isGroup() {
    return group != null;
  }
}
