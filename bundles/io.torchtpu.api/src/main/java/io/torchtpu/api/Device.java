package io.torchtpu.api;

import java.util.Map;

/**
 * One device a runtime can place computations on.
 *
 * @param id the runtime's device id
 * @param kind the device kind, such as {@code cpu} or {@code TPU v5 lite}
 * @param attributes whatever else the plugin reports about it
 */
public record Device(int id, String kind, Map<String, Object> attributes) {
    public Device {
        attributes = Map.copyOf(attributes);
    }
}
