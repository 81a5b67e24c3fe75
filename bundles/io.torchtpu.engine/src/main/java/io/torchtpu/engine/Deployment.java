package io.torchtpu.engine;

import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.lowering.LoweredModule;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One model compiled for one backend: the executable and the weights uploaded to its device. Requests
 * acquire it while they run; once retired, it closes when the last request in flight releases it.
 */
final class Deployment {
    private final String backend;
    private final LoweredModule lowered;
    private final Executable executable;
    private final List<DeviceBuffer> parameters;
    private final boolean fromCache;
    // requests in flight, plus one for "not retired"; reaching zero closes the deployment
    private final AtomicInteger holds = new AtomicInteger(1);
    private final Object drained = new Object();
    private final java.util.concurrent.atomic.AtomicBoolean retired = new java.util.concurrent.atomic.AtomicBoolean();

    Deployment(String backend, LoweredModule lowered, Executable executable, List<DeviceBuffer> parameters, boolean fromCache) {
        this.backend = backend;
        this.lowered = lowered;
        this.executable = executable;
        this.parameters = List.copyOf(parameters);
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
        return lowered.providers().keySet();
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
        return executable.run(inputs, parameters);
    }

    void run(List<HostTensor> inputs, List<HostTensor> outputs) {
        executable.run(inputs, parameters, outputs);
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
            parameters.forEach(DeviceBuffer::close);
            executable.close();
        } finally {
            synchronized (drained) {
                drained.notifyAll();
            }
        }
    }
}
