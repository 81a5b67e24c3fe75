package io.torchtpu.engine;

import io.torchtpu.api.HostTensor;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One model compiled for one backend: the executable and the weights uploaded to its device. Requests
 * acquire it while they run; once retired, it closes when the last request in flight releases it.
 */
final class Deployment {
    private final String backend;
    private final SharedProgram program;
    private final boolean fromCache;
    // requests in flight, plus one for "not retired"; reaching zero closes the deployment
    private final AtomicInteger holds = new AtomicInteger(1);
    private final Object drained = new Object();
    private final java.util.concurrent.atomic.AtomicBoolean retired = new java.util.concurrent.atomic.AtomicBoolean();

    /** @param program a program this deployment has retained, and releases when it closes */
    Deployment(String backend, SharedProgram program, boolean fromCache) {
        this.backend = backend;
        this.program = program;
        this.fromCache = fromCache;
    }

    String backend() {
        return backend;
    }

    boolean fromCache() {
        return fromCache;
    }

    /** The ops this deployment's program was lowered with (decomposed ones included). */
    Set<String> ops() {
        return program.lowered.providers().keySet();
    }

    /** Takes a hold for one request; false when the deployment is already closing. */
    boolean acquire() {
        while (true) {
            int current = holds.get();
            if (current == 0) {
                return false;
            }
            if (holds.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    void release() {
        if (holds.decrementAndGet() == 0) {
            close();
        }
    }

    List<HostTensor> run(List<HostTensor> inputs) {
        return program.executable.run(inputs, program.parameters);
    }

    void run(List<HostTensor> inputs, List<HostTensor> outputs) {
        program.executable.run(inputs, program.parameters, outputs);
    }

    /** Stops taking requests; closes now if none is in flight, else when the last one releases. */
    void retire() {
        if (retired.compareAndSet(false, true)) {
            release();
        }
    }

    /** Waits until the requests in flight have released it, at most {@code millis}; true if they have. */
    boolean awaitDrained(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (drained) {
            while (holds.get() > 0) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                drained.wait(left);
            }
        }
        return true;
    }

    private void close() {
        try {
            program.release();
        } finally {
            synchronized (drained) {
                drained.notifyAll();
            }
        }
    }
}
