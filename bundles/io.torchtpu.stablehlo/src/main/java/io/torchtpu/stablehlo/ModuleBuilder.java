package io.torchtpu.stablehlo;

import io.torchtpu.api.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds one StableHLO module. Functions are written in the order they are added; the entry point is the
 * function named {@code main}.
 */
public final class ModuleBuilder {
    private final String name;
    private final List<FunctionBuilder> functions = new ArrayList<>();

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
        FunctionBuilder function = new FunctionBuilder(sanitize(functionName), argumentTypes);
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
