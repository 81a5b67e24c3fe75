package io.torchtpu.launcher;

import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Hands configurations to Configuration Admin: those of a feature file, and those of the user's
 * {@code --config} file, which uses the OSGi Configurator's JSON format ({@code "pid": {"key": value}},
 * typed keys such as {@code "deviceCount:Integer"}, and {@code "factoryPid~name"} for factory instances).
 */
final class ConfigurationApplier implements AutoCloseable {
    private static final long WAIT_FOR_CONFIG_ADMIN_SECONDS = 30;
    private final ServiceTracker<ConfigurationAdmin, ConfigurationAdmin> tracker;

    ConfigurationApplier(BundleContext context) {
        tracker = new ServiceTracker<>(context, ConfigurationAdmin.class, null);
        tracker.open();
    }

    /**
     * Reads a configuration file: a JSON object of pids, each an object of properties. A key may name
     * its type, {@code "deviceCount:Integer"} or {@code "names:String[]"}; untyped whole numbers are
     * Long, other numbers Double. Errors name the file, the pid and the key.
     */
    static Map<String, Map<String, Object>> readFile(Path file) {
        JsonObject json;
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            json = Json.createReader(reader).readObject();
        } catch (IOException | JsonException e) {
            throw new FeatureException(file + ": not a valid configuration file (a JSON object of pids): " + e.getMessage(), e);
        }
        Map<String, Map<String, Object>> configurations = new LinkedHashMap<>();
        for (Map.Entry<String, JsonValue> pid : json.entrySet()) {
            if (pid.getKey().startsWith(":configurator:")) {
                continue;
            }
            if (pid.getValue().getValueType() != JsonValue.ValueType.OBJECT) {
                throw new FeatureException(file + ": configuration " + pid.getKey() + " must be a JSON object of properties");
            }
            Map<String, Object> properties = new LinkedHashMap<>();
            for (Map.Entry<String, JsonValue> property : pid.getValue().asJsonObject().entrySet()) {
                String key = property.getKey();
                int colon = key.indexOf(':');
                String name = colon < 0 ? key : key.substring(0, colon);
                String type = colon < 0 ? null : key.substring(colon + 1);
                try {
                    properties.put(name, TypedValues.convert(property.getValue(), type));
                } catch (IllegalArgumentException e) {
                    throw new FeatureException(file + ": configuration " + pid.getKey() + ", property " + key + ": "
                            + e.getMessage());
                }
            }
            configurations.put(pid.getKey(), properties);
        }
        return configurations;
    }

    /** Creates or updates each configuration; a key {@code factoryPid~name} makes a named factory configuration. */
    void apply(Map<String, Map<String, Object>> configurations) {
        if (configurations.isEmpty()) {
            return;
        }
        ConfigurationAdmin admin = configurationAdmin();
        for (Map.Entry<String, Map<String, Object>> entry : configurations.entrySet()) {
            try {
                configuration(admin, entry.getKey()).updateIfDifferent(toDictionary(entry.getValue()));
            } catch (IOException e) {
                throw new FeatureException("configuration " + entry.getKey() + " could not be stored: " + e.getMessage(), e);
            }
        }
    }

    /** Deletes the configurations with these pids, if they exist. */
    void delete(Iterable<String> pids) {
        ConfigurationAdmin admin = tracker.getService();
        if (admin == null) {
            return;
        }
        for (String pid : pids) {
            try {
                configuration(admin, pid).delete();
            } catch (IOException | IllegalStateException e) {
                // already gone: nothing to undo
            }
        }
    }

    private static Configuration configuration(ConfigurationAdmin admin, String pid) throws IOException {
        int tilde = pid.indexOf('~');
        if (tilde > 0) {
            return admin.getFactoryConfiguration(pid.substring(0, tilde), pid.substring(tilde + 1), "?");
        }
        return admin.getConfiguration(pid, "?");
    }

    private ConfigurationAdmin configurationAdmin() {
        try {
            ConfigurationAdmin admin = tracker.waitForService(TimeUnit.SECONDS.toMillis(WAIT_FOR_CONFIG_ADMIN_SECONDS));
            if (admin == null) {
                throw new FeatureException("Configuration Admin is not running: configurations need the core feature");
            }
            return admin;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FeatureException("interrupted while waiting for Configuration Admin", e);
        }
    }

    private static Dictionary<String, Object> toDictionary(Map<String, Object> values) {
        Hashtable<String, Object> dictionary = new Hashtable<>();
        values.forEach((key, value) -> {
            if (value != null) {
                dictionary.put(key, value);
            }
        });
        return dictionary;
    }

    @Override
    public void close() {
        tracker.close();
    }
}
