package org.jorderer.server.operations;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * What {@code GET /version} reports, in Fabric's {@code VersionInfo} fields.
 *
 * @param commitSha the source commit, or "development build" as Fabric's default
 * @param version   the release, from the jar's Implementation-Version, or "development build"
 */
public record VersionInfo(String commitSha, String version) {
  static final String DEVELOPMENT_BUILD = "development build";

  /**
   * Reads the manifest of the jar that holds {@code anchor}. Classes run from a build directory
   * have no manifest, which is exactly a development build.
   */
  public static VersionInfo of(Class<?> anchor) {
    String version = anchor.getPackage() != null ? anchor.getPackage().getImplementationVersion() : null;
    String commit = null;
    Attributes attributes = manifestOf(anchor);
    if (attributes != null) {
      if (version == null) {
        version = attributes.getValue(Attributes.Name.IMPLEMENTATION_VERSION);
      }
      for (String key : new String[] {"Git-Commit", "SCM-Revision", "Implementation-Build"}) {
        if (commit == null) {
          commit = attributes.getValue(key);
        }
      }
    }
    return new VersionInfo(orDefault(commit), orDefault(version));
  }

  private static String orDefault(String value) {
    return value == null || value.isBlank() ? DEVELOPMENT_BUILD : value;
  }

  private static Attributes manifestOf(Class<?> anchor) {
    URL classFile = anchor.getResource(anchor.getSimpleName() + ".class");
    if (classFile == null || !"jar".equals(classFile.getProtocol())) {
      return null;
    }
    String url = classFile.toString();
    try (InputStream in = new URL(url.substring(0, url.indexOf("!/") + 2) + "META-INF/MANIFEST.MF")
        .openStream()) {
      return new Manifest(in).getMainAttributes();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
