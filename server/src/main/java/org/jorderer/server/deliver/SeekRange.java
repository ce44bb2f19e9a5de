package org.jorderer.server.deliver;

import java.util.function.LongSupplier;
import org.hyperledger.fabric.protos.common.Status;
import org.hyperledger.fabric.protos.orderer.SeekPosition;

/**
 * Where a Deliver request starts and stops, resolved against the ledger height exactly as Fabric's
 * file ledger and deliver handler do ({@code fileledger/impl.go} Iterator, {@code deliver.go}
 * deliverBlocks; tables in docs/deliver.md "Start and stop positions"), quirks included. Block
 * numbers are unsigned 64-bit values held in {@code long}s and compared as such.
 *
 * @param start the first block number the iterator yields
 * @param notFound the start is past the height (or unset): every read answers NOT_FOUND
 * @param stop the block number after whose delivery the request succeeds
 */
record SeekRange(long start, boolean notFound, long stop) {

  /** The outcome of resolving: a range, or the status that ends the request. */
  sealed interface Resolution permits Resolved, Refused {}

  record Resolved(SeekRange range) implements Resolution {}

  record Refused(Status status, String reason) implements Resolution {}

  static Resolution resolve(SeekPosition startPosition, SeekPosition stopPosition, LongSupplier height) {
    long start;
    boolean notFound = false;
    long h = height.getAsLong();
    switch (startPosition.getTypeCase()) {
      case OLDEST -> start = 0;
      case NEWEST -> start = h - 1;
      case SPECIFIED -> {
        long n = startPosition.getSpecified().getNumber();
        if (Long.compareUnsigned(n, h) <= 0) {
          start = n;
        } else {
          start = 0;
          notFound = true;
        }
      }
      case NEXT_COMMIT -> start = h;
      default -> {
        start = 0;
        notFound = true;
      }
    }

    long stop;
    switch (stopPosition.getTypeCase()) {
      case OLDEST -> stop = start;
      case NEWEST -> stop = startPosition.equals(stopPosition) ? start : height.getAsLong() - 1;
      case SPECIFIED -> {
        stop = stopPosition.getSpecified().getNumber();
        if (Long.compareUnsigned(stop, start) < 0) {
          return new Refused(
              Status.BAD_REQUEST,
              "ignoring out of range seek request: stop " + Long.toUnsignedString(stop) + " is before start "
                  + Long.toUnsignedString(start));
        }
      }
      default -> stop = 0; // next_commit or unset: Fabric has no case for them
    }
    return new Resolved(new SeekRange(start, notFound, stop));
  }
}
