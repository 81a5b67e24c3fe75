package io.torchtpu.shell;

import io.torchtpu.api.Backend;
import io.torchtpu.api.Device;
import io.torchtpu.api.Runtime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** {@code torchtpu:backends}: every Backend service, its devices, or why it cannot run. */
@Component(service = BackendCommands.class, property = {"osgi.command.scope=torchtpu", "osgi.command.function=backends"})
public final class BackendCommands {
    private final List<Map.Entry<Backend, Map<String, Object>>> backends = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBackend(Backend backend, Map<String, Object> properties) {
        backends.add(Map.entry(backend, properties));
    }

    void removeBackend(Backend backend) {
        backends.removeIf(entry -> entry.getKey() == backend);
    }

    /** Lists the backends, one line each with its devices below. */
    public String backends() {
        if (backends.isEmpty()) {
            return "no backends: add one with `torchtpu:feature add cpu`\n";
        }
        StringBuilder text = new StringBuilder();
        for (Map.Entry<Backend, Map<String, Object>> entry : backends) {
            Backend backend = entry.getKey();
            text.append(backend.id()).append("  ranking ").append(entry.getValue().getOrDefault("service.ranking", 0))
                    .append("  ");
            try {
                Runtime runtime = backend.runtime();
                text.append(backend.description()).append('\n');
                for (Device device : runtime.devices()) {
                    text.append("    device ").append(device.id()).append(": ").append(device.kind()).append('\n');
                }
            } catch (RuntimeException e) {
                text.append("unavailable: ").append(e.getMessage()).append('\n');
            }
        }
        return text.toString();
    }
}
