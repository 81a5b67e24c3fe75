package io.torchtpu.lowering.aten;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the numeric harness really ran in this JVM: every {@link NumericHarness#check} call records its op, how many
 * samples were compared with libtorch and the failure lines (known deviations included), and every harness records
 * its test class when it is closed. {@link CoreAtenHarnessCoverageTest} counts the Core ATen ops from it.
 */
final class HarnessRecord {
    /** One op's record over all check calls of all test classes. */
    static final class OpRecord {
        int samplesCompared;
        final List<String> failures = new ArrayList<>();
        final Set<String> testClasses = new TreeSet<>();

        /** At least one sample compared with libtorch, and none differed (known deviations count as differing). */
        boolean passed() {
            return samplesCompared > 0 && failures.isEmpty();
        }
    }

    private static final Map<String, OpRecord> OPS = new TreeMap<>();
    private static final Set<String> FINISHED = new TreeSet<>();
    private static final Set<String> HELPERS = Set.of(NumericHarness.class.getName(), FamilyHarness.class.getName(),
            OpSamples.class.getName(), HarnessRecord.class.getName());

    private HarnessRecord() {
    }

    static synchronized void record(String testClass, String op, int samplesCompared, List<String> failures) {
        OpRecord record = OPS.computeIfAbsent(op, k -> new OpRecord());
        record.samplesCompared += samplesCompared;
        record.failures.addAll(failures);
        record.testClasses.add(testClass);
    }

    static synchronized void finished(String testClass) {
        FINISHED.add(testClass);
    }

    static synchronized Set<String> finishedClasses() {
        return new TreeSet<>(FINISHED);
    }

    /** A copy of every op's record. */
    static synchronized Map<String, OpRecord> ops() {
        Map<String, OpRecord> copy = new TreeMap<>();
        OPS.forEach((op, r) -> {
            OpRecord c = new OpRecord();
            c.samplesCompared = r.samplesCompared;
            c.failures.addAll(r.failures);
            c.testClasses.addAll(r.testClasses);
            copy.put(op, c);
        });
        return copy;
    }

    /** The top-level class that created the harness: the first caller outside the shared harness helpers. */
    static String callerTestClass() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames
                .map(f -> topLevel(f.getDeclaringClass()).getName())
                .filter(name -> !HELPERS.contains(name))
                .findFirst().orElse("?"));
    }

    private static Class<?> topLevel(Class<?> type) {
        Class<?> top = type;
        while (top.getEnclosingClass() != null) {
            top = top.getEnclosingClass();
        }
        return top;
    }
}
