package org.jorderer.server.participation;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@code multipart/form-data} body (RFC 7578) split into its parts: what {@code osnadmin}
 * sends to join a channel. Only what the join needs is read from each part's headers: the form
 * field name and whether it is a file.
 */
final class MultipartForm {
  record Part(String name, boolean file, byte[] content) {}

  private MultipartForm() {}

  /** The boundary parameter of a Content-Type header, or null. */
  static String boundary(String contentType) {
    for (String param : contentType.split(";")) {
      String p = param.trim();
      if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
        String value = p.substring("boundary=".length());
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
          value = value.substring(1, value.length() - 1);
        }
        return value.isEmpty() ? null : value;
      }
    }
    return null;
  }

  static List<Part> parse(byte[] body, String boundary) {
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    List<Part> parts = new ArrayList<>();
    int start = indexOf(body, delimiter, 0);
    if (start < 0) {
      throw new IllegalArgumentException("multipart: NextPart: EOF");
    }
    int position = start + delimiter.length;
    while (true) {
      if (position + 1 < body.length && body[position] == '-' && body[position + 1] == '-') {
        return parts; // closing delimiter
      }
      position = skipLineEnd(body, position);
      int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), position);
      if (headersEnd < 0) {
        throw new IllegalArgumentException("multipart: malformed part headers");
      }
      String headers = new String(body, position, headersEnd - position, StandardCharsets.UTF_8);
      int contentStart = headersEnd + 4;
      byte[] next = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
      int contentEnd = indexOf(body, next, contentStart);
      if (contentEnd < 0) {
        throw new IllegalArgumentException("multipart: NextPart: EOF");
      }
      byte[] content = new byte[contentEnd - contentStart];
      System.arraycopy(body, contentStart, content, 0, content.length);
      parts.add(part(headers, content));
      position = contentEnd + next.length;
    }
  }

  private static Part part(String headers, byte[] content) {
    String name = null;
    boolean file = false;
    for (String line : headers.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon < 0 || !line.substring(0, colon).trim().equalsIgnoreCase("Content-Disposition")) {
        continue;
      }
      for (String param : line.substring(colon + 1).split(";")) {
        String p = param.trim();
        if (p.startsWith("name=")) {
          name = unquote(p.substring(5));
        } else if (p.startsWith("filename=")) {
          file = true;
        }
      }
    }
    return new Part(name == null ? "" : name, file, content);
  }

  private static String unquote(String s) {
    return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
  }

  private static int skipLineEnd(byte[] body, int position) {
    if (position + 1 < body.length && body[position] == '\r' && body[position + 1] == '\n') {
      return position + 2;
    }
    return position;
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
