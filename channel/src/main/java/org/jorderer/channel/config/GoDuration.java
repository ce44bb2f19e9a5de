package org.jorderer.channel.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;

/**
 * Go's {@code time.ParseDuration} and {@code time.Duration.String}, because Fabric stores
 * BatchTimeout in that syntax ("2s", "500ms", "1m30s", "1.5h") and logs durations in it.
 */
public final class GoDuration {
  private static final long MAX_NANOS = Long.MAX_VALUE;

  private GoDuration() {}

  /**
   * Parses a Go duration: an optional sign, then one or more decimal numbers each with a unit
   * ("ns", "us", "µs", "μs", "ms", "s", "m", "h"); "0" alone is allowed.
   *
   * @throws IllegalArgumentException with Go's message, e.g. {@code time: invalid duration "2"}
   */
  public static Duration parse(String text) {
    String original = text;
    if (text == null) {
      throw new IllegalArgumentException("time: invalid duration \"\"");
    }
    String s = text;
    boolean negative = false;
    if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
      negative = s.charAt(0) == '-';
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (s.isEmpty()) {
      throw invalid(original);
    }
    BigInteger totalNanos = BigInteger.ZERO;
    int i = 0;
    while (i < s.length()) {
      int numberStart = i;
      while (i < s.length() && Character.isDigit(s.charAt(i))) {
        i++;
      }
      boolean hasInteger = i > numberStart;
      String integer = s.substring(numberStart, i);
      String fraction = "";
      if (i < s.length() && s.charAt(i) == '.') {
        i++;
        int fractionStart = i;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
          i++;
        }
        fraction = s.substring(fractionStart, i);
      }
      if (!hasInteger && fraction.isEmpty()) {
        throw invalid(original);
      }
      int unitStart = i;
      while (i < s.length() && s.charAt(i) != '.' && !Character.isDigit(s.charAt(i))) {
        i++;
      }
      String unit = s.substring(unitStart, i);
      if (unit.isEmpty()) {
        throw new IllegalArgumentException("time: missing unit in duration \"" + original + "\"");
      }
      long unitNanos = unitNanos(unit);
      if (unitNanos == 0) {
        throw new IllegalArgumentException(
            "time: unknown unit \"" + unit + "\" in duration \"" + original + "\"");
      }
      BigDecimal value = new BigDecimal((integer.isEmpty() ? "0" : integer) + (fraction.isEmpty() ? "" : "." + fraction));
      // Go truncates fractional nanoseconds.
      totalNanos = totalNanos.add(value.multiply(BigDecimal.valueOf(unitNanos)).toBigInteger());
      if (totalNanos.compareTo(BigInteger.valueOf(MAX_NANOS)) > 0) {
        throw invalid(original);
      }
    }
    long nanos = totalNanos.longValueExact();
    return Duration.ofNanos(negative ? -nanos : nanos);
  }

  private static IllegalArgumentException invalid(String original) {
    return new IllegalArgumentException("time: invalid duration \"" + original + "\"");
  }

  private static long unitNanos(String unit) {
    switch (unit) {
      case "ns":
        return 1L;
      case "us":
      case "\u00b5s":
      case "\u03bcs":
        return 1_000L;
      case "ms":
        return 1_000_000L;
      case "s":
        return 1_000_000_000L;
      case "m":
        return 60_000_000_000L;
      case "h":
        return 3_600_000_000_000L;
      default:
        return 0;
    }
  }

  /** Go's {@code Duration.String()}: "2s", "1m30s", "1.5s", "500ms", "0s", "1h0m0s". */
  public static String format(Duration duration) {
    long nanos;
    try {
      nanos = duration.toNanos();
    } catch (ArithmeticException e) {
      nanos = duration.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    if (nanos == 0) {
      return "0s";
    }
    boolean negative = nanos < 0;
    BigInteger magnitude = BigInteger.valueOf(nanos).abs();
    String sign = negative ? "-" : "";
    if (magnitude.compareTo(BigInteger.valueOf(1_000_000_000L)) < 0) {
      long u = magnitude.longValueExact();
      if (u < 1_000L) {
        return sign + u + "ns";
      }
      if (u < 1_000_000L) {
        return sign + fraction(u, 1_000L) + "\u00b5s";
      }
      return sign + fraction(u, 1_000_000L) + "ms";
    }
    BigInteger[] hoursRest = magnitude.divideAndRemainder(BigInteger.valueOf(3_600_000_000_000L));
    BigInteger[] minutesRest = hoursRest[1].divideAndRemainder(BigInteger.valueOf(60_000_000_000L));
    String seconds = fraction(minutesRest[1].longValueExact(), 1_000_000_000L) + "s";
    StringBuilder out = new StringBuilder(sign);
    if (hoursRest[0].signum() > 0) {
      out.append(hoursRest[0]).append('h').append(minutesRest[0]).append('m');
    } else if (minutesRest[0].signum() > 0) {
      out.append(minutesRest[0]).append('m');
    }
    return out.append(seconds).toString();
  }

  private static String fraction(long value, long unit) {
    long whole = value / unit;
    long rest = value % unit;
    if (rest == 0) {
      return Long.toString(whole);
    }
    String digits = Long.toString(rest + unit).substring(1); // zero-padded to the unit's width
    int end = digits.length();
    while (end > 0 && digits.charAt(end - 1) == '0') {
      end--;
    }
    return whole + "." + digits.substring(0, end);
  }
}
