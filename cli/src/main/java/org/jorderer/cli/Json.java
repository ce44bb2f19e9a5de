package org.jorderer.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON value tree just big enough for {@code inspect}. Gson only reaches this module at run
 * time (protobuf-java-util declares it so), and the tree needs no more than objects, arrays,
 * strings, literals and already-printed JSON from {@code JsonFormat}, so it is written here.
 */
sealed interface Json {
  /** Two spaces, the indent {@code JsonFormat} prints with, so that {@link Raw} nests cleanly. */
  String INDENT = "  ";

  void write(StringBuilder out, String indent);

  static Json string(String s) {
    return new Str(s);
  }

  static Json number(long n) {
    return new Literal(Long.toString(n));
  }

  default String print() {
    StringBuilder out = new StringBuilder();
    write(out, "");
    return out.append('\n').toString();
  }

  /** Fields keep their insertion order, which is the order the proto declares them. */
  final class Obj implements Json {
    private final Map<String, Json> fields = new LinkedHashMap<>();

    Obj put(String name, Json value) {
      fields.put(name, value);
      return this;
    }

    @Override
    public void write(StringBuilder out, String indent) {
      if (fields.isEmpty()) {
        out.append("{}");
        return;
      }
      String inner = indent + INDENT;
      out.append("{\n");
      int i = 0;
      for (Map.Entry<String, Json> e : fields.entrySet()) {
        out.append(inner);
        quote(out, e.getKey());
        out.append(": ");
        e.getValue().write(out, inner);
        out.append(++i < fields.size() ? ",\n" : "\n");
      }
      out.append(indent).append('}');
    }
  }

  record Arr(List<Json> items) implements Json {
    @Override
    public void write(StringBuilder out, String indent) {
      if (items.isEmpty()) {
        out.append("[]");
        return;
      }
      String inner = indent + INDENT;
      out.append("[\n");
      for (int i = 0; i < items.size(); i++) {
        out.append(inner);
        items.get(i).write(out, inner);
        out.append(i + 1 < items.size() ? ",\n" : "\n");
      }
      out.append(indent).append(']');
    }
  }

  record Str(String value) implements Json {
    @Override
    public void write(StringBuilder out, String indent) {
      quote(out, value);
    }
  }

  /** A number, {@code true}, {@code false} or {@code null}, written as given. */
  record Literal(String text) implements Json {
    @Override
    public void write(StringBuilder out, String indent) {
      out.append(text);
    }
  }

  /**
   * JSON that {@code JsonFormat} already printed at indent zero; every line after the first is
   * shifted right so that it sits at the depth where it is placed. JsonFormat prints an empty
   * object over two lines; it is closed up to {@code {}} as {@link Obj} writes it. A newline in
   * JsonFormat output is always layout (string contents are escaped), so this cannot touch data.
   */
  record Raw(String json) implements Json {
    private static final java.util.regex.Pattern EMPTY_OBJECT = java.util.regex.Pattern.compile("\\{\n\\s*}");

    @Override
    public void write(StringBuilder out, String indent) {
      out.append(EMPTY_OBJECT.matcher(json.strip()).replaceAll("{}").replace("\n", "\n" + indent));
    }
  }

  private static void quote(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
