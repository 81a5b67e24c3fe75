package io.torchtpu.runtime.pjrt;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One native handle and its destroy function, shared by an owner object and the
 * Cleaner. Uses are counted: a handle is destroyed only when it is closed and no
 * call is using it, so a close racing with a call never frees memory under it.
 * A use of a child also holds its parent (the client), so the client outlives
 * every call on its buffers and executables. Closing a parent closes its children.
 */
final class NativeResource implements Runnable {
  static final Cleaner CLEANER = Cleaner.create(r -> {
    Thread t = new Thread(r, "torchtpu-pjrt-cleaner");
    t.setDaemon(true);
    return t;
  });

  interface Destroyer {
    void destroy(long api, long handle);
  }

  // handles created and not yet destroyed, all kinds together: what a soak test watches for leaks
  static final java.util.concurrent.atomic.AtomicLong OPEN = new java.util.concurrent.atomic.AtomicLong();

  /** The full name, or null to build it from {@link #kind} and the handle when first needed. */
  private final String what;
  private final String kind;
  private final long api;
  private final long handle;
  private final Destroyer destroyer;
  private final NativeResource parent;
  /** Created on the first adoption: most resources (buffers) never have children. */
  private Set<NativeResource> children;
  private int users;
  private boolean closed;
  private boolean destroyed;
  private String closedBecause;

  NativeResource(String what, long api, long handle, Destroyer destroyer, NativeResource parent) {
    this(what, null, api, handle, destroyer, parent);
  }

  /** Named {@code kind@handle-in-hex}, a string built only when a message needs it. */
  static NativeResource of(String kind, long api, long handle, Destroyer destroyer, NativeResource parent) {
    return new NativeResource(null, kind, api, handle, destroyer, parent);
  }

  private NativeResource(String what, String kind, long api, long handle, Destroyer destroyer,
      NativeResource parent) {
    this.what = what;
    this.kind = kind;
    this.api = api;
    this.handle = handle;
    this.destroyer = destroyer;
    this.parent = parent;
    if (parent != null) {
      try {
        parent.adopt(this);
      } catch (IllegalStateException e) {
        closed = true;
        destroyed = true;
        if (handle != 0) destroyer.destroy(api, handle);
        throw e;
      }
    }
    if (handle != 0) OPEN.incrementAndGet();
  }

  String what() {
    return what != null ? what : kind + "@" + Long.toHexString(handle);
  }

  long api() {
    return api;
  }

  private synchronized void adopt(NativeResource child) {
    if (closed) {
      // the parent was closed while the child was being created: free it at once
      throw new IllegalStateException(what() + " is closed");
    }
    if (children == null) children = new LinkedHashSet<>();
    children.add(child);
  }

  private synchronized void forget(NativeResource child) {
    if (children != null) children.remove(child);
  }

  /** Marks one use; returns the handle. Throws IllegalStateException if this or its parent is closed. */
  long acquire() {
    synchronized (this) {
      if (closed) throw closedException();
    }
    if (parent != null) parent.acquire();
    synchronized (this) {
      if (!closed) {
        users++;
        return handle;
      }
    }
    if (parent != null) parent.release();
    throw closedException();
  }

  private synchronized IllegalStateException closedException() {
    return new IllegalStateException(what() + " is closed" + (closedBecause != null ? " (" + closedBecause + ")" : ""));
  }

  /** Marks one more use without checking {@code closed}: only while a use is already held. */
  void retain() {
    if (parent != null) parent.retain();
    synchronized (this) {
      users++;
    }
  }

  void release() {
    boolean destroyNow;
    synchronized (this) {
      users--;
      destroyNow = closed && users == 0 && !destroyed;
      if (destroyNow) destroyed = true;
    }
    if (destroyNow) destroy();
    if (parent != null) parent.release();
  }

  synchronized boolean isClosed() {
    return closed;
  }

  /** Explicit close by the owner. */
  void close() {
    close(null);
  }

  private void close(String because) {
    List<NativeResource> kids;
    synchronized (this) {
      if (closed) return;
      closed = true;
      closedBecause = because;
      kids = children == null ? List.of() : new ArrayList<>(children);
      children = null;
    }
    for (NativeResource k : kids) k.close("its " + what() + " was closed");
    boolean destroyNow;
    synchronized (this) {
      destroyNow = users == 0 && !destroyed;
      if (destroyNow) destroyed = true;
    }
    if (destroyNow) destroy();
  }

  private void destroy() {
    try {
      if (handle != 0) {
        OPEN.decrementAndGet();
        destroyer.destroy(api, handle);
      }
    } catch (RuntimeException e) {
      System.getLogger(NativeResource.class.getName())
          .log(System.Logger.Level.WARNING, "destroying " + what() + " failed", e);
    } finally {
      if (parent != null) parent.forget(this);
    }
  }

  /** Cleaner action: the owner became unreachable without close(). */
  @Override
  public void run() {
    close("its owner was garbage collected");
  }
}
