package org.jorderer.cli;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Renders a Fabric message as JSON the way Fabric's {@code protolator} (behind
 * {@code configtxlator proto_decode}) does: proto field names, every field printed even when it
 * holds its default, and the {@code bytes} fields listed in {@link OpaqueFields} replaced by the
 * message they hold, recursively. Messages with nothing to decode anywhere below them are printed
 * by protobuf's own {@link JsonFormat}; only the ones above them are walked here.
 *
 * <p>Departures from protolator: certificates and CRLs are PEM text rather than base64 of it;
 * map keys are sorted; a bytes field that does not parse as the message it should hold is left
 * as base64 rather than failing the whole file, since inspecting a damaged file is a reason to
 * run this.
 */
final class Protolator {
  private static final JsonFormat.Printer LEAF =
      JsonFormat.printer().preservingProtoFieldNames().alwaysPrintFieldsWithNoPresence();

  private final Map<Descriptor, Boolean> walked = new HashMap<>();

  Json render(Message message) {
    return render(message, null);
  }

  /** {@code key} is the list index or map key the message sits under, which some fields need. */
  private Json render(Message message, String key) {
    if (!needsWalk(message.getDescriptorForType(), new HashSet<>())) {
      try {
        return new Json.Raw(LEAF.print(message));
      } catch (InvalidProtocolBufferException e) {
        // Only an Any with an unregistered type gets here; Fabric's wire messages hold none.
        throw new IllegalStateException(e);
      }
    }
    Json.Obj obj = new Json.Obj();
    for (FieldDescriptor fd : message.getDescriptorForType().getFields()) {
      if (fd.hasPresence() && !message.hasField(fd)) {
        continue; // unset message or oneof member, as JsonFormat leaves them out too
      }
      String rule = message.getDescriptorForType().getFullName() + "." + fd.getName();
      obj.put(fd.getName(), field(message, key, fd, rule));
    }
    return obj;
  }

  private Json field(Message message, String key, FieldDescriptor fd, String rule) {
    if (fd.isMapField()) {
      FieldDescriptor keyFd = fd.getMessageType().findFieldByName("key");
      FieldDescriptor valueFd = fd.getMessageType().findFieldByName("value");
      // Sorted, as Go's jsonpb prints maps; the wire order is whatever the writer chose.
      Map<String, Message> entries = new TreeMap<>();
      for (int i = 0; i < message.getRepeatedFieldCount(fd); i++) {
        Message entry = (Message) message.getRepeatedField(fd, i);
        entries.put(String.valueOf(entry.getField(keyFd)), entry);
      }
      Json.Obj obj = new Json.Obj();
      entries.forEach((k, entry) ->
          obj.put(k, value(new OpaqueFields.Place(message, key, k), valueFd, rule, entry.getField(valueFd))));
      return obj;
    }
    if (fd.isRepeated()) {
      List<Json> items = new ArrayList<>();
      for (int i = 0; i < message.getRepeatedFieldCount(fd); i++) {
        String index = Integer.toString(i);
        items.add(value(new OpaqueFields.Place(message, key, index), fd, rule, message.getRepeatedField(fd, i)));
      }
      return new Json.Arr(items);
    }
    return value(new OpaqueFields.Place(message, key, null), fd, rule, message.getField(fd));
  }

  private Json value(OpaqueFields.Place place, FieldDescriptor fd, String rule, Object v) {
    return switch (fd.getJavaType()) {
      case MESSAGE -> render((Message) v, place.key());
      case BYTE_STRING -> bytes(place, rule, (ByteString) v);
      case STRING -> Json.string((String) v);
      case BOOLEAN -> new Json.Literal(v.toString());
      case INT -> switch (fd.getType()) {
        case UINT32, FIXED32 -> new Json.Literal(Integer.toUnsignedString((Integer) v));
        default -> new Json.Literal(v.toString());
      };
      // 64-bit integers are strings in protobuf's JSON mapping, so that JavaScript keeps them exact.
      case LONG -> switch (fd.getType()) {
        case UINT64, FIXED64 -> Json.string(Long.toUnsignedString((Long) v));
        default -> Json.string(v.toString());
      };
      case FLOAT, DOUBLE -> {
        double d = ((Number) v).doubleValue();
        yield Double.isFinite(d) ? new Json.Literal(v.toString()) : Json.string(v.toString());
      }
      case ENUM -> {
        EnumValueDescriptor e = (EnumValueDescriptor) v;
        yield e.getIndex() == -1 ? Json.number(e.getNumber()) : Json.string(e.getName());
      }
    };
  }

  private Json bytes(OpaqueFields.Place place, String rule, ByteString bytes) {
    OpaqueFields.Reader reader = OpaqueFields.DECODERS.get(rule);
    if (reader != null) {
      try {
        Message decoded = reader.read(place, bytes);
        if (decoded != null) {
          return render(decoded, place.key());
        }
      } catch (InvalidProtocolBufferException | RuntimeException e) {
        // Not the message it should be: show the bytes as they are.
      }
    }
    if (OpaqueFields.PEM.contains(rule)) {
      String pem = pemText(bytes);
      if (pem != null) {
        return Json.string(pem);
      }
    }
    return Json.string(Base64.getEncoder().encodeToString(bytes.toByteArray()));
  }

  /** The bytes as text if they are UTF-8 PEM; '-' is not a base64 letter, so it cannot be confused. */
  private static String pemText(ByteString bytes) {
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .decode(bytes.asReadOnlyByteBuffer())
          .toString();
      return text.startsWith("-----BEGIN ") ? text : null;
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /**
   * Whether any field of this message type, or of a message type below it, is decoded or shown
   * as PEM; if none is, {@link JsonFormat} prints it whole. {@code open} guards recursive types
   * (a ConfigGroup holds ConfigGroups): a type already being looked at adds nothing new.
   */
  private boolean needsWalk(Descriptor type, Set<Descriptor> open) {
    Boolean known = walked.get(type);
    if (known != null) {
      return known;
    }
    if (!open.add(type)) {
      return false;
    }
    boolean needs = false;
    for (FieldDescriptor fd : type.getFields()) {
      String rule = type.getFullName() + "." + fd.getName();
      if (OpaqueFields.DECODERS.containsKey(rule) || OpaqueFields.PEM.contains(rule)) {
        needs = true;
      } else if (fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        FieldDescriptor held = fd.isMapField() ? fd.getMessageType().findFieldByName("value") : fd;
        if (held.getJavaType() == FieldDescriptor.JavaType.MESSAGE && needsWalk(held.getMessageType(), open)) {
          needs = true;
        }
      }
      if (needs) {
        break;
      }
    }
    open.remove(type);
    // A "no" found while an enclosing type was still open may only mean "not yet known".
    if (needs || open.isEmpty()) {
      walked.put(type, needs);
    }
    return needs;
  }
}
