package io.torchtpu.runtime.pjrt;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Waits for PJRT_Events so that a waiting thread can be interrupted: a callback registered
 * with PJRT_Event_OnReady sets a flag in native code, on which the waiter spins for a short
 * time (most events of a small program fire within microseconds), then sleeps on a condition
 * variable in slices of at most {@link #SLICE_NANOS}, checking the interrupt status between
 * slices. Spinning on PJRT_Event_IsReady instead is slower: it contends with the plugin's
 * thread that completes the event. An interrupted wait
 * hands the event (and what must stay alive until it fires) to a daemon thread that awaits
 * and destroys it.
 */
final class Events {
  private record Abandoned(long api, long event, Object keepAlive, NativeResource[] held) {}

  private static final LinkedBlockingQueue<Abandoned> ABANDONED = new LinkedBlockingQueue<>();
  private static final NativeResource[] NONE = {};
  /** Host memory that a buffer which failed to be destroyed may still alias. */
  private static final java.util.Queue<Object> KEPT_FOREVER = new java.util.concurrent.ConcurrentLinkedQueue<>();

  /**
   * How long a waiter spins before it sleeps: {@code -Dtorchtpu.pjrt.spinMicros}; by default 20
   * with 4 or more processors, else 0. On a 2-core machine a spinning waiter keeps the plugin's
   * worker thread from the core it needs: a 16-byte copy through the plugin took 77 us median
   * with a 20 us spin against 33 us without.
   */
  static volatile long spinNanos = Math.max(0, Long.getLong("torchtpu.pjrt.spinMicros",
      java.lang.Runtime.getRuntime().availableProcessors() >= 4 ? 20 : 0)) * 1_000L;
  /** The longest sleep in native code between two looks at the thread's interrupt status. */
  static final long SLICE_NANOS = 10_000_000L;

  static {
    Thread t = new Thread(Events::reap, "torchtpu-pjrt-event-reaper");
    t.setDaemon(true);
    t.start();
  }

  private Events() {}

  /**
   * Waits until {@code event} is ready, destroys it and throws its error, if any; 0 means
   * nothing to wait for. {@code what} names the operation in errors: a String, or a
   * Supplier of one (built only for a message). {@code held} are resources whose use the
   * caller holds; on interruption they are retained until the event fires, and
   * {@code keepAlive} (e.g. a destination buffer) stays reachable. Interruption throws
   * PjrtException(CANCELLED) with the interrupt status kept.
   */
  static void await(long api, long event, Object what, Object keepAlive, NativeResource... held) {
    if (event == 0) return;
    if (!PjrtNative.eventIsReady(api, event)) waitUntilReady(api, event, what, keepAlive, held);
    try {
      PjrtNative.eventCheck(api, event);
    } catch (PjrtException e) {
      // the device's message alone does not say which operation failed
      PjrtException named = new PjrtException(e.code(), e.pjrtMessage() + " (while waiting for " + name(what) + ")");
      named.initCause(e);
      throw named;
    } finally {
      PjrtNative.eventDestroy(api, event);
    }
  }

  private static void waitUntilReady(long api, long event, Object what, Object keepAlive, NativeResource[] held) {
    long waiter = PjrtNative.eventWaiter(api, event); // 0: the plugin refused OnReady, poll instead
    try {
      long spin = spinNanos; // the first slice only
      while (true) {
        if (Thread.currentThread().isInterrupted()) {
          for (NativeResource r : held) r.retain();
          ABANDONED.add(new Abandoned(api, event, keepAlive, held));
          throw new PjrtException(PjrtErrorCode.CANCELLED, "interrupted while waiting for " + name(what));
        }
        if (waiter != 0) {
          if (PjrtNative.waiterWait(waiter, spin, SLICE_NANOS)) return;
          spin = 0;
        } else {
          LockSupport.parkNanos(100_000L);
          if (PjrtNative.eventIsReady(api, event)) return;
        }
      }
    } finally {
      PjrtNative.waiterRelease(waiter);
    }
  }

  private static String name(Object what) {
    return what instanceof Supplier<?> s ? String.valueOf(s.get()) : String.valueOf(what);
  }

  /**
   * Awaits the events {@code events[from..to)} (0s are skipped) in order and throws the first
   * error; after an interruption the rest are abandoned.
   */
  static void awaitAll(long api, long[] events, int from, int to, Object what, Object keepAlive,
      NativeResource... held) {
    RuntimeException first = null;
    for (int i = from; i < to; i++) {
      long ev = events[i];
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

  /**
   * After a zero-copy buffer is destroyed: destroys its done-with-host-buffer event when it
   * has fired, or else lets the reaper await it with {@code hostMemory} kept reachable and
   * {@code client} (alive: the buffer was its child until now) retained until then, so the
   * host memory never goes while the plugin may still read it, nor the client before the event.
   */
  static void releaseWhenDone(long api, long event, Object hostMemory, NativeResource client) {
    if (event == 0) return;
    boolean ready;
    try {
      ready = PjrtNative.eventIsReady(api, event);
    } catch (RuntimeException e) {
      ready = false;
    }
    if (!ready) {
      NativeResource[] held = client == null ? NONE : new NativeResource[] {client};
      for (NativeResource r : held) r.retain();
      ABANDONED.add(new Abandoned(api, event, hostMemory, held));
      return;
    }
    try {
      PjrtNative.eventCheck(api, event);
    } catch (RuntimeException ignored) {
      // the buffer is gone; nobody waits for the outcome
    } finally {
      PjrtNative.eventDestroy(api, event);
    }
  }

  static void keepForever(Object hostMemory) {
    KEPT_FOREVER.add(hostMemory);
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
