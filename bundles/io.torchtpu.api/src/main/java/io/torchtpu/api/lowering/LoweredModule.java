package io.torchtpu.api.lowering;

import io.torchtpu.api.graph.Value;
import java.util.List;
import java.util.Map;

/**
 * A lowered graph.
 *
 * @param text the StableHLO module (MLIR text); the same graph and lowerings give byte-identical text
 * @param fingerprint sha-256 of {@code text} in hex, the key of compile caches
 * @param arguments the program's arguments in order: the graph's inputs, then its parameters
 * @param outputs the graph's outputs, in the order the program returns them
 * @param providers for every op lowered (after decomposition), who provided its lowering:
 *     {@code bundle-symbolic-name/ranking}; also the ops decomposed, with their decomposition's provider
 */
public record LoweredModule(String text, String fingerprint, List<Value> arguments, List<Value> outputs,
        Map<String, String> providers) {
    public LoweredModule {
        arguments = List.copyOf(arguments);
        outputs = List.copyOf(outputs);
        providers = Map.copyOf(providers);
    }
}
