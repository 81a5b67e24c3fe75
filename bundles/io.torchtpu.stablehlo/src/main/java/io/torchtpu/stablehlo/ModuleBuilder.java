package io.torchtpu.stablehlo;

import io.torchtpu.api.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds one StableHLO module. Functions are written in the order they are added; the entry point is the
 * function named {@code main}. Composites add their decompositions as private functions, in the order they are
 * emitted (see {@link FunctionBuilder#composite}).
 */
public final class ModuleBuilder {
    private final String name;
    private final List<FunctionBuilder> functions = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    /** Per composite name, how many decompositions were added. */
    private final Map<String, Integer> decompositions = new HashMap<>();

    /** @param name the module's symbol; characters MLIR does not allow in a bare symbol become {@code _} */
    public ModuleBuilder(String name) {
        this.name = sanitize(name);
    }

    static String sanitize(String name) {
        String cleaned = name.replaceAll("[^A-Za-z0-9_$.]", "_");
        return cleaned.isEmpty() || Character.isDigit(cleaned.charAt(0)) ? "_" + cleaned : cleaned;
    }

    /** A public function taking arguments of the given types ({@code %arg0, %arg1, ...}). */
    public FunctionBuilder function(String functionName, List<TensorType> argumentTypes) {
        return add(sanitize(functionName), true, argumentTypes);
    }

    /** The private function of a composite named {@code compositeName}: {@code <name>.impl_<n>}, the first free n. */
    FunctionBuilder decomposition(String compositeName, List<TensorType> argumentTypes) {
        String base = sanitize(compositeName) + ".impl_";
        String functionName;
        do {
            int n = decompositions.merge(base, 1, Integer::sum) - 1;
            functionName = base + n;
        } while (names.contains(functionName));
        return add(functionName, false, argumentTypes);
    }

    private FunctionBuilder add(String functionName, boolean isPublic, List<TensorType> argumentTypes) {
        if (!names.add(functionName)) {
            throw new IllegalArgumentException("module " + name + " already has a function @" + functionName);
        }
        FunctionBuilder function = new FunctionBuilder(this, functionName, isPublic, argumentTypes);
        functions.add(function);
        return function;
    }

    public StableHloModule build() {
        StringBuilder text = new StringBuilder("module @").append(name).append(" {\n");
        for (FunctionBuilder function : functions) {
            text.append(function.text());
        }
        return StableHloModule.of(text.append("}\n").toString());
    }
}
