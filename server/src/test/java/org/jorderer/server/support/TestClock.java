package org.jorderer.server.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.hyperledger.fabric.protos.common.ChannelHeader;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.common.Payload;
import org.jorderer.ledger.testing.SettableClock;

/** A clock the test sets: to replay Fabric's recorded requests at the time they were signed. */
public final class TestClock extends SettableClock {
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

  /** A clock standing at the time in the channel header of the envelope stored in {@code envelopeFile}. */
  public static TestClock atSigningTimeOf(Path envelopeFile) throws IOException {
    Envelope envelope = Envelope.parseFrom(Files.readAllBytes(envelopeFile));
    ChannelHeader header = ChannelHeader.parseFrom(Payload.parseFrom(envelope.getPayload()).getHeader().getChannelHeader());
    return new TestClock(Instant.ofEpochSecond(header.getTimestamp().getSeconds(), header.getTimestamp().getNanos()));
  }

  public TestClock(Instant now) {
    super(now);
  }
}
