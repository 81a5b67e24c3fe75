package io.torchtpu.lowering.aten;

import io.torchtpu.api.DType;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.graph.GraphBuilder;
import io.torchtpu.api.graph.Value;
import io.torchtpu.api.lowering.LoweredModule;
import io.torchtpu.lowering.registry.LoweringRegistry;
import io.torchtpu.lowering.registry.Provider;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;

/**
 * Runs samples of one op through the lowering on the real XLA CPU plugin and through libtorch, and compares.
 * All samples of an op go into ONE module (one node per sample), so an op costs one compile, not one per sample.
 */
final class NumericHarness implements AutoCloseable {
    /** One generated input: the node's inputs and attributes, and the same call on libtorch. */
    record Sample(String description, List<HostTensor> inputs, Map<String, Object> attributes, Function<List<Tensor>, List<Tensor>> torch) {
    }

    private final LoweringRegistry registry = new LoweringRegistry();
    private final PjrtRuntime runtime;
    /** The test class that uses this harness, for {@link HarnessRecord}. */
    private final String testClass = HarnessRecord.callerTestClass();
    int compiles;
    int samplesChecked;

    NumericHarness() {
        long id = 1;
        for (AtenOp op : Families.lowerings()) {
            registry.addLowering(new Provider<>(op, op.ops(), null, 0, id++, "io.torchtpu.lowering.aten"));
        }
        for (AtenDecomposition d : Families.decompositions()) {
            registry.addDecomposition(new Provider<>(d, d.ops(), null, 0, id++, "io.torchtpu.lowering.aten"));
        }
        runtime = new PjrtRuntime(PjrtPlugin.loadDefaultCpu().initialize().createClient(Map.of()));
    }

    LoweringRegistry registry() {
        return registry;
    }

    /** Checks every sample libtorch accepts; returns one line per failure (op, sample, worst element). */
    List<String> check(String op, List<Sample> samples) {
        int before = samplesChecked;
        List<String> failures = compareWithLibtorch(op, samples);
        HarnessRecord.record(testClass, op, samplesChecked - before, failures);
        return failures;
    }

    private List<String> compareWithLibtorch(String op, List<Sample> samples) {
        List<String> failures = new ArrayList<>();
        GraphBuilder graph = new GraphBuilder(op.replace("aten::", "").replace('.', '_'), registry);
        List<HostTensor> arguments = new ArrayList<>();
        List<List<HostTensor>> expected = new ArrayList<>();
        List<Sample> kept = new ArrayList<>();
        for (Sample sample : samples) {
            List<HostTensor> reference;
            try {
                reference = sample.torch().apply(sample.inputs().stream().map(Oracle::tensor).toList()).stream().map(Oracle::host).toList();
            } catch (RuntimeException unsupportedByLibtorch) {
                continue; // libtorch refuses this dtype or shape: PyTorch has no answer to compare with
            }
            List<Value> inputs = new ArrayList<>();
            for (HostTensor input : sample.inputs()) {
                inputs.add(graph.input("s" + kept.size() + "_" + inputs.size(), input.type()));
                arguments.add(input);
            }
            GraphBuilder.NodeBuilder node = graph.op(op, inputs.toArray(Value[]::new));
            sample.attributes().forEach(node::attr);
            List<Value> outputs;
            try {
                outputs = node.outputs();
            } catch (RuntimeException e) {
                failures.add(op + " [" + sample.description() + "]: type inference failed: " + e.getMessage());
                continue;
            }
            graph.output(outputs.toArray(Value[]::new));
            kept.add(sample);
            expected.add(reference);
        }
        if (kept.isEmpty()) {
            return failures;
        }
        LoweredModule module = registry.lower(graph.build(), null);
        List<HostTensor> actual;
        compiles++;
        try (Executable executable = runtime.compile(module.text(), Map.of())) {
            actual = executable.run(arguments);
        } catch (RuntimeException e) {
            failures.add(op + ": the plugin refused the module: " + e.getMessage() + "\n" + module.text());
            return failures;
        }
        int next = 0;
        for (int s = 0; s < kept.size(); s++) {
            for (HostTensor reference : expected.get(s)) {
                String problem = compare(reference, actual.get(next++));
                if (problem != null) {
                    failures.add(op + " [" + kept.get(s).description() + "]: " + problem);
                }
            }
            samplesChecked++;
        }
        return failures;
    }

    /** Per-dtype tolerances: |a - e| <= atol + rtol |e|; NaN must meet NaN, infinities must be equal. */
    static String compare(HostTensor expected, HostTensor actual) {
        if (expected.type().dtype() != actual.type().dtype() || !Arrays.equals(expected.type().shape(), actual.type().shape())) {
            return "type " + actual.type() + ", libtorch gives " + expected.type();
        }
        DType dtype = expected.type().dtype();
        double atol = switch (dtype) {
            case F64 -> 1e-10;
            case F32 -> 1e-5;
            case F16 -> 1e-3;
            case BF16 -> 1e-2;
            default -> 0;
        };
        double rtol = switch (dtype) {
            case F64 -> 1e-7;
            case F32 -> 2e-5;
            case F16 -> 2e-3;
            case BF16 -> 1.6e-2;
            default -> 0;
        };
        double[] e = Oracle.values(expected);
        double[] a = Oracle.values(actual);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < e.length; i++) {
            double excess;
            if (Double.isNaN(e[i]) || Double.isNaN(a[i])) {
                excess = Double.isNaN(e[i]) == Double.isNaN(a[i]) ? 0 : Double.POSITIVE_INFINITY;
            } else if (Double.isInfinite(e[i]) || Double.isInfinite(a[i])) {
                excess = e[i] == a[i] ? 0 : Double.POSITIVE_INFINITY;
            } else {
                excess = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
            }
            if (excess > 0 && (worst < 0 || excess > worstExcess)) {
                worst = i;
                worstExcess = excess;
            }
        }
        return worst < 0 ? null : "worst element #" + worst + " of " + actual.type() + ": got " + a[worst] + ", libtorch " + e[worst];
    }

    @Override
    public void close() {
        runtime.close();
        HarnessRecord.finished(testClass);
    }
}
