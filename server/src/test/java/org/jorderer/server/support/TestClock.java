package org.jorderer.server.support;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock the test sets: to replay Fabric's recorded requests at the time they were signed. */
public final class TestClock extends Clock {
  /**
   * A time inside the SampleOrg certificate's validity (2017-11-12 to 2027-11-10): tests that sign
   * with {@code testdata/fabric/msp} run at this instant, never at the wall clock, so they keep
   * passing after the certificate expires. Fresh traffic at the real time uses generated credentials
   * ({@link FreshOrg}).
   */
  public static final Instant SAMPLE_ORG_ERA = Instant.parse("2024-06-01T12:00:00Z");

  /** A clock standing at {@link #SAMPLE_ORG_ERA}. */
  public static TestClock atSampleOrgEra() {
    return new TestClock(SAMPLE_ORG_ERA);
  }

  private volatile Instant now;

  public TestClock(Instant now) {
    this.now = now;
  }

  public void set(Instant instant) {
    now = instant;
  }

  public void advance(Duration by) {
    now = now.plus(by);
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
