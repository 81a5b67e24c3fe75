package io.torchtpu.engine;

import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.lowering.LoweredModule;
import java.util.List;
import java.util.function.Consumer;

/**
 * A compiled program with its weights on the device, shared by every deployment of the same graph on
 * the same runtime: a second load of a model already loaded costs no trace, no compile and no upload.
 * Closed when the last deployment using it is.
 */
final class SharedProgram {
    final LoweredModule lowered;
    final Executable executable;
    final List<DeviceBuffer> parameters;
    private final Consumer<SharedProgram> onClose;
    private int users;
    private boolean closed;

    SharedProgram(LoweredModule lowered, Executable executable, List<DeviceBuffer> parameters, Consumer<SharedProgram> onClose) {
        this.lowered = lowered;
        this.executable = executable;
        this.parameters = List.copyOf(parameters);
        this.onClose = onClose;
    }

    /** Takes a use; false when the program has closed already and must not be handed out. */
    synchronized boolean retain() {
        if (closed) {
            return false;
        }
        users++;
        return true;
    }

    void release() {
        synchronized (this) {
            if (--users > 0 || closed) {
                return;
            }
            closed = true;
        }
        onClose.accept(this);
        parameters.forEach(DeviceBuffer::close);
        executable.close();
    }
}
