package io.torchtpu.lowering.aten;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.lowering.aten.NumericHarness.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;

/**
 * Shared pieces of the per-family numeric tests: a harness per test class, sample and index generation, and
 * the failure report with its known deviations. Values come from {@link AtenNumericTest#random}.
 */
final class OpSamples {
    static final List<DType> FLOATS = List.of(DType.F32, DType.F64, DType.F16, DType.BF16);
    static final List<DType> ALL = List.of(DType.F32, DType.F64, DType.F16, DType.BF16, DType.I64, DType.I32, DType.I16, DType.I8,
            DType.U8, DType.BOOL);

    private OpSamples() {
    }

    static HostTensor random(DType dtype, long seed, long... shape) {
        return AtenNumericTest.random(dtype, seed, false, shape);
    }

    /** int64 indices in {@code [low, high)}. */
    static HostTensor indices(long low, long high, long seed, long... shape) {
        return indices(DType.I64, low, high, seed, shape);
    }

    static HostTensor indices(DType dtype, long low, long high, long seed, long... shape) {
        SplittableRandom random = new SplittableRandom(seed);
        int count = (int) io.torchtpu.api.TensorType.of(dtype, shape).elementCount();
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = random.nextLong(low, high);
        }
        return Oracle.fromDoubles(dtype, values, shape);
    }

    /** A permutation of 0..size-1 along the last dimension of each row: indices without duplicates, for scatter. */
    static HostTensor distinctIndices(long seed, long rows, long size, long taken) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] values = new double[(int) (rows * taken)];
        for (int r = 0; r < rows; r++) {
            List<Long> order = new ArrayList<>();
            for (long i = 0; i < size; i++) {
                order.add(i);
            }
            java.util.Collections.shuffle(order, new java.util.Random(random.nextLong()));
            for (int i = 0; i < taken; i++) {
                values[(int) (r * taken + i)] = order.get(i);
            }
        }
        return Oracle.fromDoubles(DType.I64, values, rows, taken);
    }

    static Sample sample(String description, List<HostTensor> inputs, Map<String, Object> attributes, Function<List<Tensor>, Tensor> torch) {
        return new Sample(description, inputs, attributes, t -> List.of(torch.apply(t)));
    }

    static Sample multi(String description, List<HostTensor> inputs, Map<String, Object> attributes, Function<List<Tensor>, List<Tensor>> torch) {
        return new Sample(description, inputs, attributes, torch);
    }

    static String shape(long... shape) {
        return Arrays.toString(shape);
    }

    static List<Tensor> list(org.bytedeco.pytorch.TensorVector vector) {
        List<Tensor> tensors = new ArrayList<>();
        for (long i = 0; i < vector.size(); i++) {
            tensors.add(vector.get(i));
        }
        return tensors;
    }

    static org.bytedeco.pytorch.Scalar scalar(Object value) {
        if (value instanceof Long l) {
            return new org.bytedeco.pytorch.Scalar(l);
        }
        if (value instanceof Boolean b) {
            return new org.bytedeco.pytorch.Scalar(new org.bytedeco.pytorch.SymBool(b.booleanValue()));
        }
        return new org.bytedeco.pytorch.Scalar((Double) value);
    }

    /** One family's checks: runs each op's samples as one module and collects failures, known deviations apart. */
    static final class Checker implements AutoCloseable {
        private final NumericHarness harness = new NumericHarness();
        private final Map<String, String> knownDeviations;
        private final List<String> failures = new ArrayList<>();
        private final TreeSet<String> checked = new TreeSet<>();
        private final long started = System.nanoTime();
        private final String family;

        Checker(String family, Map<String, String> knownDeviations) {
            this.family = family;
            this.knownDeviations = knownDeviations;
        }

        NumericHarness harness() {
            return harness;
        }

        /** Checks the samples; an op none of whose samples libtorch accepted counts as a failure, not a pass. */
        void check(String op, List<Sample> samples) {
            checked.add(op);
            int before = harness.samplesChecked;
            List<String> found = harness.check(op, samples);
            failures.addAll(found);
            if (found.isEmpty() && harness.samplesChecked == before) {
                failures.add(op + ": no sample was checked (libtorch refused all " + samples.size() + ")");
            }
        }

        void assertNoFailures(String family) {
            List<String> unexpected = new ArrayList<>();
            for (String failure : failures) {
                String known = knownDeviations.entrySet().stream().filter(e -> failure.startsWith(e.getKey())).map(Map.Entry::getValue)
                        .findFirst().orElse(null);
                if (known == null) {
                    unexpected.add(failure);
                } else {
                    System.out.println("KNOWN DEVIATION " + failure + " -- " + known);
                }
            }
            failures.clear();
            assertTrue(unexpected.isEmpty(), family + ": " + unexpected.size() + " failure(s)\n" + String.join("\n", unexpected));
        }

        @Override
        public void close() {
            System.out.printf("numeric harness (%s): %d ops, %d samples, %d compiles in %.1f s: %s%n", family,
                    checked.size(), harness.samplesChecked, harness.compiles, (System.nanoTime() - started) / 1e9, checked);
            harness.close();
        }
    }
}
