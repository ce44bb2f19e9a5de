package org.jorderer.cli;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.hyperledger.fabric.protos.common.Envelope;
import org.hyperledger.fabric.protos.orderer.AtomicBroadcastGrpc;
import org.hyperledger.fabric.protos.orderer.BroadcastResponse;
import org.jorderer.channel.envelope.SignedEnvelopes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jorderer broadcast}: sends signed envelopes over K Broadcast streams and reports each
 * status seen and the rate. Envelopes (type MESSAGE, as Fabric's own sample broadcast client sends)
 * are signed before the clock starts, so the rate is the orderer's, not the signer's.
 */
@Command(name = "broadcast", mixinStandardHelpOptions = true,
    description = "Send signed transaction envelopes to a channel and report statuses and tx/s.")
final class BroadcastCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Spec CommandSpec spec;

  @Option(names = "--channel", paramLabel = "ID", defaultValue = "demo", description = "Channel (default: ${DEFAULT-VALUE}).")
  String channel;



  @Option(names = "--count", paramLabel = "N", defaultValue = "1000", description = "Envelopes (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--size", paramLabel = "BYTES", defaultValue = "1024", description = "Data bytes per envelope (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--streams", paramLabel = "K", defaultValue = "1", description = "Concurrent streams (default: ${DEFAULT-VALUE}).")
  int streams;

  /** Told of every envelope as it is handed to its stream, and of every response as it arrives. */
  interface ResponseListener {
    default void sent(String txId, long nanoTime) {}

    void answered(String txId, String status, long nanoTime);
  }

  /** The outcome of a run, for {@code bench broadcast}. */
  record Result(int sent, Map<String, Integer> statuses, double seconds) {
    double txPerSecond() {
      return statuses.getOrDefault("SUCCESS", 0) / seconds;
    }
  }

  @Override
  public Integer call() throws Exception {
    Result result = run(spec.commandLine().getErr());
    spec.commandLine().getOut().printf("%d envelopes of %d bytes over %d stream(s) in %.2f s: %.0f tx/s; statuses %s%n",
        result.sent(), size, streams, result.seconds(), result.txPerSecond(), result.statuses());
    return result.statuses().getOrDefault("SUCCESS", 0) == count ? 0 : 1;
  }

  Result run(PrintWriter progress) throws Exception {
    return run(progress, (txId, status, at) -> {});
  }

  Result run(PrintWriter progress, ResponseListener listener) throws Exception {
    SignedEnvelopes envelopes = client.envelopes();
    Random random = new Random();
    List<List<SignedEnvelopes.SignedEnvelope>> perStream = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      perStream.add(new ArrayList<>());
    }
    byte[] data = new byte[size];
    progress.printf("signing %d envelopes...%n", count);
    progress.flush();
    for (int i = 0; i < count; i++) {
      random.nextBytes(data);
      perStream.get(i % streams).add(envelopes.message(channel, ByteString.copyFrom(data), Instant.now()));
    }
    ManagedChannel connection = client.connect();
    try {
      Map<String, Integer> statuses = new ConcurrentHashMap<>();
      AtomicInteger answered = new AtomicInteger();
      AtomicLong sent = new AtomicLong();
      CountDownLatch done = new CountDownLatch(streams);
      long started = System.nanoTime();
      for (List<SignedEnvelopes.SignedEnvelope> batch : perStream) {
        sendAll(connection, batch, statuses, answered, sent, done, listener);
      }
      Progress bar = Progress.on(progress, count);
      while (!done.await(200, TimeUnit.MILLISECONDS)) {
        bar.show(answered.get());
      }
      bar.show(answered.get());
      bar.finish();
      double seconds = (System.nanoTime() - started) / 1e9;
      return new Result((int) sent.get(), Map.copyOf(statuses), seconds);
    } finally {
      connection.shutdownNow();
    }
  }

  /** One stream: envelopes are written as gRPC's flow control allows; every response is counted. */
  private static void sendAll(ManagedChannel connection, List<SignedEnvelopes.SignedEnvelope> batch, Map<String, Integer> statuses,
      AtomicInteger answered, AtomicLong sent, CountDownLatch done, ResponseListener listener) {
    AtomicInteger pending = new AtomicInteger(batch.size());
    AtomicInteger nextAnswer = new AtomicInteger();
    var responses = new io.grpc.stub.ClientResponseObserver<Envelope, BroadcastResponse>() {
      private io.grpc.stub.ClientCallStreamObserver<Envelope> requests;
      private int next;

      @Override
      public void beforeStart(io.grpc.stub.ClientCallStreamObserver<Envelope> stream) {
        requests = stream;
        stream.setOnReadyHandler(this::feed);
      }

      private synchronized void feed() {
        while (requests.isReady() && next < batch.size()) {
          SignedEnvelopes.SignedEnvelope envelope = batch.get(next++);
          listener.sent(envelope.txId(), System.nanoTime());
          requests.onNext(envelope.envelope());
          sent.incrementAndGet();
        }
        if (next == batch.size()) {
          next++;
          requests.onCompleted();
        }
      }

      @Override
      public void onNext(BroadcastResponse response) {
        long at = System.nanoTime();
        String status = response.getStatus().name();
        listener.answered(batch.get(nextAnswer.getAndIncrement()).txId(), status, at);
        statuses.merge(status, 1, Integer::sum);
        answered.incrementAndGet();
        pending.decrementAndGet();
      }

      @Override
      public void onError(Throwable t) {
        statuses.merge("RPC " + io.grpc.Status.fromThrowable(t).getCode(), pending.get(), Integer::sum);
        done.countDown();
      }

      @Override
      public void onCompleted() {
        if (pending.get() > 0) {
          statuses.merge("UNANSWERED", pending.get(), Integer::sum);
        }
        done.countDown();
      }
    };
    AtomicBroadcastGrpc.newStub(connection).broadcast(responses);
  }
}
