package io.torchtpu.runtime.pjrt;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits for PJRT_Events by polling PJRT_Event_IsReady with backoff, so a waiting
 * thread can be interrupted. An interrupted wait hands the event (and what must
 * stay alive until it fires) to a daemon thread that awaits and destroys it.
 */
final class Events {
  private record Abandoned(long api, long event, Object keepAlive, NativeResource[] held) {}

  private static final LinkedBlockingQueue<Abandoned> ABANDONED = new LinkedBlockingQueue<>();

  static {
    Thread t = new Thread(Events::reap, "torchtpu-pjrt-event-reaper");
    t.setDaemon(true);
    t.start();
  }

  private Events() {}

  /**
   * Waits until {@code event} is ready, destroys it and throws its error, if any.
   * {@code held} are resources whose use the caller holds; on interruption they are
   * retained until the event fires, and {@code keepAlive} (e.g. a destination buffer)
   * stays reachable. Interruption throws PjrtException(CANCELLED) with the interrupt
   * status kept.
   */
  static void await(long api, long event, String what, Object keepAlive, NativeResource... held) {
    if (event == 0) return;
    for (int i = 0; !PjrtNative.eventIsReady(api, event); i++) {
      if (Thread.currentThread().isInterrupted()) {
        for (NativeResource r : held) r.retain();
        ABANDONED.add(new Abandoned(api, event, keepAlive, held));
        throw new PjrtException(PjrtErrorCode.CANCELLED, "interrupted while waiting for " + what);
      }
      if (i < 200) {
        Thread.onSpinWait();
      } else {
        // 2 µs doubling up to 1 ms
        LockSupport.parkNanos(Math.min(1_000_000L, 2_000L << Math.min(9, (i - 200) / 16)));
      }
    }
    try {
      PjrtNative.eventCheck(api, event);
    } catch (PjrtException e) {
      // the device's message alone does not say which operation failed
      PjrtException named = new PjrtException(e.code(), e.pjrtMessage() + " (while waiting for " + what + ")");
      named.initCause(e);
      throw named;
    } finally {
      PjrtNative.eventDestroy(api, event);
    }
  }

  /** Awaits every event (in order) and throws the first error; after an interruption the rest are abandoned. */
  static void awaitAll(long api, long[] events, String what, Object keepAlive, NativeResource... held) {
    RuntimeException first = null;
    for (long ev : events) {
      if (ev == 0) continue;
      if (first != null && Thread.currentThread().isInterrupted()) {
        for (NativeResource r : held) r.retain();
        ABANDONED.add(new Abandoned(api, ev, keepAlive, held));
        continue;
      }
      try {
        await(api, ev, what, keepAlive, held);
      } catch (RuntimeException e) {
        if (first == null) first = e;
      }
    }
    if (first != null) throw first;
  }

  private static void reap() {
    while (true) {
      Abandoned a;
      try {
        a = ABANDONED.take();
      } catch (InterruptedException e) {
        continue;
      }
      try {
        PjrtNative.eventAwait(a.api, a.event);
      } catch (RuntimeException ignored) {
        // nobody is waiting for the outcome any more
      } finally {
        try {
          PjrtNative.eventDestroy(a.api, a.event);
        } catch (RuntimeException ignored) {
          // nothing to do
        }
        for (NativeResource r : a.held) r.release();
        java.lang.ref.Reference.reachabilityFence(a.keepAlive);
      }
    }
  }
}
