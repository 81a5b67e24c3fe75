package io.torchtpu.lowering.aten;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.graph.Value;
import io.torchtpu.lowering.aten.NumericHarness.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;

/**
 * The {@link NumericHarness} as the layer families' test classes use it: one instance per class, failures collected
 * per test and asserted at its end (known deviations printed with their reason), refusals checked by message.
 */
final class FamilyHarness implements AutoCloseable {
    private final NumericHarness harness = new NumericHarness();
    private final List<String> failures = new ArrayList<>();
    private final TreeSet<String> checked = new TreeSet<>();
    private final String name;
    private final Map<String, String> knownDeviations;
    private final long started = System.nanoTime();

    /** {@code knownDeviations}: failure prefixes ("op [sample]") with the reason each differs from libtorch. */
    FamilyHarness(String name, Map<String, String> knownDeviations) {
        this.name = name;
        this.knownDeviations = knownDeviations;
    }

    /** Smooth random values in [-3, 3) of {@code dtype}, without the edge values. */
    static HostTensor values(DType dtype, long seed, long... shape) {
        return AtenNumericTest.random(dtype, seed, true, shape);
    }

    /** Random values that start with NaN, +-inf, -0.0, huge and tiny ones when there are 8 or more. */
    static HostTensor withEdges(DType dtype, long seed, long... shape) {
        return AtenNumericTest.random(dtype, seed, false, shape);
    }

    /** Positive values in [0.5, 3.5): variances. */
    static HostTensor positive(DType dtype, long seed, long... shape) {
        double[] v = Oracle.values(values(DType.F64, seed, shape));
        return Oracle.fromDoubles(dtype, Arrays.stream(v).map(x -> Math.abs(x) + 0.5).toArray(), shape);
    }

    static TensorOptional optional(List<Tensor> tensors, int index) {
        return index < tensors.size() ? new TensorOptional(tensors.get(index)) : new TensorOptional();
    }

    static Sample sample(String description, List<HostTensor> inputs, Map<String, Object> attributes, Function<List<Tensor>, Tensor> torch) {
        return new Sample(description, inputs, attributes, t -> List.of(torch.apply(t)));
    }

    /** Checks every sample; one that libtorch refuses is a failure of the test (its inputs are wrong), not a skip. */
    void check(String op, List<Sample> samples) {
        int before = harness.samplesChecked;
        List<String> found = checkWhereLibtorchAccepts(op, samples);
        int skipped = samples.size() - (harness.samplesChecked - before);
        if (found.isEmpty() && skipped > 0) {
            failures.add(op + ": libtorch refused " + skipped + " of " + samples.size() + " samples; fix their inputs");
        }
    }

    /** Checks the samples libtorch accepts (some dtypes have no kernel there); returns this op's failures. */
    List<String> checkWhereLibtorchAccepts(String op, List<Sample> samples) {
        checked.add(op);
        long start = System.nanoTime();
        List<String> found = harness.check(op, samples);
        System.out.printf("  %s: %d samples in %.1f s%n", op, samples.size(), (System.nanoTime() - start) / 1e9);
        failures.addAll(found);
        return found;
    }

    /** Asserts that typing {@code op} on these inputs fails with a message that names the op and contains {@code expected}. */
    void refuses(String op, List<HostTensor> inputs, Map<String, Object> attributes, String expected) {
        List<Value> values = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            values.add(new Value("x" + i, inputs.get(i).type()));
        }
        try {
            harness.registry().inferTypes(op, values, new java.util.LinkedHashMap<>(attributes));
            failures.add(op + " " + attributes + ": accepted, but should refuse with '" + expected + "'");
        } catch (RuntimeException e) {
            String message = String.valueOf(e.getMessage());
            if (!message.contains(op) || !message.contains(expected)) {
                failures.add(op + " " + attributes + ": refused with '" + message + "', expected the op and '" + expected + "'");
            }
        }
    }

    void assertNoFailures(String family) {
        List<String> unexpected = new ArrayList<>();
        for (String failure : failures) {
            String known = knownDeviations.entrySet().stream().filter(e -> failure.startsWith(e.getKey()))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            if (known == null) {
                unexpected.add(failure);
            } else {
                System.out.println("KNOWN DEVIATION " + failure + " -- " + known);
            }
        }
        failures.clear();
        assertTrue(unexpected.isEmpty(), family + ": " + unexpected.size() + " failure(s)\n" + String.join("\n", unexpected));
    }

    NumericHarness harness() {
        return harness;
    }

    @Override
    public void close() {
        System.out.printf("numeric harness (%s): %d ops, %d samples, %d compiles, %.1f s: %s%n", name,
                checked.size(), harness.samplesChecked, harness.compiles, (System.nanoTime() - started) / 1e9, checked);
        harness.close();
    }
}
