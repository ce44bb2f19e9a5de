package org.jorderer.server.participation;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jorderer.server.support.ByteSearch;

/**
 * The channel participation API's {@code multipart/form-data} parser on arbitrary bodies: it
 * returns parts that are slices of the body, or refuses with a "multipart: " error (answered as
 * 400 by the join handler); nothing else may escape it. Input: the Content-Type header value, a
 * line feed, then the body. Seeds: an osnadmin join body and variants (docs/robustness.md).
 */
class MultipartFormFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void aBodyIsSplitIntoPartsOrRefusedAsMultipart(byte[] input) {
    int newline = indexOf(input, (byte) '\n');
    String contentType = new String(input, 0, newline < 0 ? input.length : newline, StandardCharsets.ISO_8859_1);
    byte[] body = newline < 0 ? new byte[0] : java.util.Arrays.copyOfRange(input, newline + 1, input.length);

    String boundary = MultipartForm.boundary(contentType);
    if (boundary == null) {
      return; // the handler answers 400 "no boundary" before parsing
    }
    List<MultipartForm.Part> parts;
    try {
      parts = MultipartForm.parse(body, boundary);
    } catch (IllegalArgumentException refused) {
      assertThat(refused.getMessage()).startsWith("multipart: ");
      return;
    }
    long total = 0;
    for (MultipartForm.Part part : parts) {
      assertThat(part.name()).isNotNull();
      assertThat(ByteSearch.indexOf(body, part.content())).as("a part's content is a slice of the body").isGreaterThanOrEqualTo(0);
      total += part.content().length;
    }
    assertThat(total).isLessThanOrEqualTo(body.length);
  }

  private static int indexOf(byte[] haystack, byte b) {
    for (int i = 0; i < haystack.length; i++) {
      if (haystack[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
