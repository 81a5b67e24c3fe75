package io.torchtpu.lowering.aten;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.lowering.CoverageReport;
import io.torchtpu.lowering.registry.LoweringRegistry;
import io.torchtpu.lowering.registry.Provider;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Issue 4's "Done when": at least {@value #REQUIRED} Core ATen ops lowered by this bundle AND passing the numeric harness
 * against libtorch. Counted from what the harness really ran ({@link HarnessRecord}), not from the sample
 * declarations: an op counts when this bundle lowers or decomposes it, at least one of its samples was compared with
 * libtorch on the XLA CPU plugin, and no sample differed (an op with a known deviation does not count).
 *
 * <p>Ordered last ({@code junit-platform.properties} orders classes by {@link Order}), so in a module run the numeric
 * test classes ({@code *NumericTest}) have already run in this JVM; any that did not (this class run alone, another
 * launcher) are run here, through their JUnit lifecycle methods, before counting.
 */
@Order(Integer.MAX_VALUE)
class CoreAtenHarnessCoverageTest {
    static final int REQUIRED = 120;

    @Test
    void coreAtenOpsLoweredAndPassingTheHarness() throws Exception {
        long start = System.nanoTime();
        List<String> ranHere = new ArrayList<>();
        List<String> classFailures = new ArrayList<>();
        for (Class<?> harnessClass : harnessClasses()) {
            if (!HarnessRecord.finishedClasses().contains(harnessClass.getName())) {
                ranHere.add(harnessClass.getSimpleName());
                classFailures.addAll(runLifecycle(harnessClass));
            }
        }
        System.out.printf("harness classes run by this test (not yet run in this JVM): %s in %.1f s%n", ranHere, (System.nanoTime() - start) / 1e9);
        classFailures.forEach(f -> System.out.println("  " + f));

        CoverageReport report = registry().coverage(null);
        TreeSet<String> lowered = new TreeSet<>();
        TreeSet<String> uncovered = new TreeSet<>();
        for (CoverageReport.OpStatus status : report.coreOps()) {
            (status.covered() ? lowered : uncovered).add(status.op());
        }
        Map<String, HarnessRecord.OpRecord> records = HarnessRecord.ops();
        TreeSet<String> passing = new TreeSet<>();
        TreeSet<String> unsampled = new TreeSet<>();
        TreeSet<String> failing = new TreeSet<>();
        for (String op : lowered) {
            HarnessRecord.OpRecord record = records.get(op);
            if (record == null || record.samplesCompared == 0) {
                unsampled.add(op);
            } else if (record.passed()) {
                passing.add(op);
            } else {
                failing.add(op);
            }
        }
        long otherPassing = records.entrySet().stream().filter(e -> e.getValue().passed() && !lowered.contains(e.getKey())
                && !uncovered.contains(e.getKey())).count();

        System.out.printf("Core ATen (%s): %d overloads, %d lowered or decomposed by this bundle, %d of them lowered AND passing "
                + "the numeric harness against libtorch (required: %d); %d ops outside the core list pass too%n",
                report.opSet(), report.coreOps().size(), lowered.size(), passing.size(), REQUIRED, otherPassing);
        System.out.println("passing (" + passing.size() + "): " + String.join(", ", passing));
        System.out.println("lowered, compared with libtorch, but differing (" + failing.size() + "):");
        for (String op : failing) {
            HarnessRecord.OpRecord record = records.get(op);
            System.out.println("  " + op + ": " + record.failures.size() + " of " + record.samplesCompared + " samples differ, first: "
                    + record.failures.get(0).lines().findFirst().orElse(""));
        }
        System.out.println("lowered but never compared with libtorch (" + unsampled.size() + "): " + String.join(", ", unsampled));
        System.out.println("not lowered (" + uncovered.size() + "): " + String.join(", ", uncovered));

        assertTrue(!records.isEmpty(), "the numeric harness recorded no op: no *NumericTest class ran");
        assertTrue(passing.size() >= REQUIRED, passing.size() + " Core ATen ops lowered and passing the harness, " + REQUIRED
                + " required; lowered but unsampled: " + unsampled + "; differing: " + failing + "; harness class failures: " + classFailures);
    }

    /** The registry the harness lowers with: every lowering and decomposition of this bundle. */
    private static LoweringRegistry registry() {
        LoweringRegistry registry = new LoweringRegistry();
        long id = 1;
        for (AtenOp op : Families.lowerings()) {
            registry.addLowering(new Provider<>(op, op.ops(), null, 0, id++, "io.torchtpu.lowering.aten"));
        }
        for (AtenDecomposition d : Families.decompositions()) {
            registry.addDecomposition(new Provider<>(d, d.ops(), null, 0, id++, "io.torchtpu.lowering.aten"));
        }
        return registry;
    }

    /** The top-level {@code *NumericTest} classes compiled beside this one. */
    private static List<Class<?>> harnessClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path dir = Path.of(CoreAtenHarnessCoverageTest.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(CoreAtenHarnessCoverageTest.class.getPackageName().replace('.', '/'));
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (String file : files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("NumericTest.class")).sorted().toList()) {
                classes.add(Class.forName(CoreAtenHarnessCoverageTest.class.getPackageName() + "." + file.replace(".class", "")));
            }
        }
        assertTrue(!classes.isEmpty(), "no *NumericTest class in " + dir);
        return classes;
    }

    /** Runs a test class the way Jupiter does for static lifecycle methods; returns what failed. */
    private static List<String> runLifecycle(Class<?> type) throws ReflectiveOperationException {
        List<String> failures = new ArrayList<>();
        if (!invokeAll(type, BeforeAll.class, null, failures)) {
            return failures;
        }
        try {
            List<Method> tests = methods(type, Test.class);
            for (Method test : tests) {
                var constructor = type.getDeclaredConstructor();
                constructor.setAccessible(true);
                Object instance = constructor.newInstance();
                if (invokeAll(type, BeforeEach.class, instance, failures)) {
                    invoke(test, instance, failures);
                }
                invokeAll(type, AfterEach.class, instance, failures);
            }
        } finally {
            invokeAll(type, AfterAll.class, null, failures);
        }
        return failures;
    }

    private static boolean invokeAll(Class<?> type, Class<? extends Annotation> annotation, Object instance, List<String> failures) {
        boolean ok = true;
        for (Method method : methods(type, annotation)) {
            ok &= invoke(method, Modifier.isStatic(method.getModifiers()) ? null : instance, failures);
        }
        return ok;
    }

    private static boolean invoke(Method method, Object instance, List<String> failures) {
        try {
            method.setAccessible(true);
            method.invoke(instance);
            return true;
        } catch (InvocationTargetException e) {
            failures.add(method.getDeclaringClass().getSimpleName() + "." + method.getName() + ": "
                    + String.valueOf(e.getCause()).lines().findFirst().orElse(""));
            return false;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(method + " is not accessible", e);
        }
    }

    private static List<Method> methods(Class<?> type, Class<? extends Annotation> annotation) {
        return Stream.of(type.getDeclaredMethods()).filter(m -> m.isAnnotationPresent(annotation))
                .sorted(Comparator.comparing(Method::getName)).toList();
    }
}
