package org.jorderer.consensus;

import java.util.Objects;
import java.util.function.Supplier;
import org.jorderer.channel.ChannelConfig;

/**
 * Where a channel's current config lives, and the one way it changes: the block writer
 * {@linkplain #stage stages} the config a config block carries before appending the block,
 * {@linkplain #install installs} it once the block is durable, and {@linkplain #unstage unstages} it
 * when the append failed (nothing applied). Everything that reads the channel's config (Broadcast's
 * filters, the block cutter, Deliver's Readers check, the orderer addresses) reads {@link #get}, so
 * one reference swap switches all of them at once.
 *
 * <p>A holder may treat the staged config as in force from the moment its block is in the ledger
 * (the server's channel does): then no reader sees the config block under the old config, as in
 * Fabric, whose block writer switches its bundle before writing the block, so a Deliver client that
 * lost read access by that block never receives it.
 */
public interface CurrentConfig extends Supplier<ChannelConfig> {

  /** The config in force. */
  @Override
  ChannelConfig get();

  /** The config that block {@code blockNumber}, about to be appended, carries. */
  void stage(long blockNumber, ChannelConfig next);

  /** Drops a staged config whose block was not written. */
  void unstage();

  /** Makes {@code next} the config in force (its sequence must be higher). */
  void install(ChannelConfig next);

  /** A plain holder (tests, tools): staging is remembered only until install or unstage. */
  static CurrentConfig holding(ChannelConfig initial) {
    return new CurrentConfig() {
      private volatile ChannelConfig config = Objects.requireNonNull(initial, "initial");

      @Override
      public ChannelConfig get() {
        return config;
      }

      @Override
      public void stage(long blockNumber, ChannelConfig next) {}

      @Override
      public void unstage() {}

      @Override
      public void install(ChannelConfig next) {
        if (next.sequence() <= config.sequence()) {
          throw new IllegalArgumentException("config sequence " + next.sequence() + " does not follow " + config.sequence());
        }
        config = next;
      }
    };
  }
}
