package org.jorderer.channel.envelope;

import org.hyperledger.fabric.protos.orderer.SeekInfo;
import org.hyperledger.fabric.protos.orderer.SeekNewest;
import org.hyperledger.fabric.protos.orderer.SeekNextCommit;
import org.hyperledger.fabric.protos.orderer.SeekOldest;
import org.hyperledger.fabric.protos.orderer.SeekPosition;
import org.hyperledger.fabric.protos.orderer.SeekSpecified;

/** The positions of a Deliver request; {@code specified(-1)} is Fabric's MaxUint64 ("forever"). */
public final class SeekPositions {
  private SeekPositions() {}

  public static final SeekPosition OLDEST = SeekPosition.newBuilder().setOldest(SeekOldest.getDefaultInstance()).build();
  public static final SeekPosition NEWEST = SeekPosition.newBuilder().setNewest(SeekNewest.getDefaultInstance()).build();
  public static final SeekPosition NEXT_COMMIT =
      SeekPosition.newBuilder().setNextCommit(SeekNextCommit.getDefaultInstance()).build();

  public static SeekPosition specified(long number) {
    return SeekPosition.newBuilder().setSpecified(SeekSpecified.newBuilder().setNumber(number)).build();
  }

  public static SeekInfo seek(SeekPosition start, SeekPosition stop) {
    return SeekInfo.newBuilder().setStart(start).setStop(stop).build();
  }
}
