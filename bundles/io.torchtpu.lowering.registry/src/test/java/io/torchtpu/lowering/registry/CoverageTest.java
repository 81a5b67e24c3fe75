package io.torchtpu.lowering.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.lowering.CoverageReport;
import io.torchtpu.api.lowering.CoverageReport.Kind;
import io.torchtpu.api.lowering.CoverageReport.OpStatus;
import io.torchtpu.api.lowering.CoverageReport.ProvidedBy;
import io.torchtpu.api.lowering.Decomposition;
import io.torchtpu.api.lowering.OperandRule;
import io.torchtpu.stablehlo.HloValue;
import io.torchtpu.stablehlo.lowering.LoweringContext;
import io.torchtpu.stablehlo.lowering.OpLowering;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The coverage report against the real Core ATen list the build copies in from the ATen lowerings bundle. */
class CoverageTest {
    private static final OpLowering NEVER_CALLED = new OpLowering() {
        @Override
        public List<TensorType> inferTypes(Node node, OperandRule.Prepared operands) {
            throw new AssertionError();
        }

        @Override
        public List<HloValue> lower(LoweringContext context, Node node, List<HloValue> operands) {
            throw new AssertionError();
        }
    };

    private final LoweringRegistry registry = new LoweringRegistry();

    private static OpStatus find(List<OpStatus> ops, String op) {
        return ops.stream().filter(s -> s.op().equals(op)).findFirst().orElseThrow(() -> new AssertionError(op + " not in " + ops));
    }

    @Test
    void theCoreListIsPyTorchsWithSchemas() {
        CoreAtenOps core = CoreAtenOps.load();
        assertEquals("PyTorch 2.10.0 Core ATen IR", core.source());
        assertEquals(188, core.ops().size());
        assertTrue(core.ops().contains(new CoreAtenOps.Op("aten::gelu", "aten::gelu(Tensor self, *, str approximate=\"none\") -> Tensor")));
        assertTrue(core.ops().stream().anyMatch(op -> op.name().equals("aten::add.Tensor")));
        assertTrue(core.ops().stream().noneMatch(op -> op.name().endsWith(".default") || op.name().endsWith("_")),
                "schema names, and no in-place variants");
    }

    @Test
    void aTruncatedListFailsLoudly() {
        assertThrows(IllegalArgumentException.class, () -> CoreAtenOps.parse("# pytorch: 2.10.0\n# count: 2\naten::abs(Tensor self) -> Tensor\n"));
    }

    @Test
    void anEmptyRegistryCoversNothing() {
        CoverageReport report = registry.coverage(null);
        assertEquals(188, report.coreOps().size());
        assertEquals(0, report.coveredCount());
        assertEquals(0.0, report.coveredFraction());
        assertTrue(report.otherOps().isEmpty());
    }

    @Test
    void everyCoreOpReportsItsWinnerAndTheOthers() {
        registry.addLowering(new Provider<>(NEVER_CALLED, List.of("aten::gelu", "aten::relu"), null, 0, 1, "io.torchtpu.lowering.aten", "0.1.0"));
        registry.addLowering(new Provider<>(NEVER_CALLED, List.of("aten::gelu.default"), null, 100, 2, "com.example.vendor", "2.0.0"));
        registry.addLowering(new Provider<>(NEVER_CALLED, List.of("aten::relu"), "tpu-v6e", 0, 3, "com.example.tpu", "1.0.0"));
        registry.addDecomposition(new Provider<>((Decomposition) (n, c) -> List.of(), List.of("aten::linear"), null, 0, 4,
                "io.torchtpu.lowering.aten", "0.1.0"));

        CoverageReport report = registry.coverage(null);
        assertEquals("PyTorch 2.10.0 Core ATen IR", report.opSet());
        assertEquals(2, report.coveredCount());
        assertEquals(2.0 / 188, report.coveredFraction(), 1e-12);

        OpStatus gelu = find(report.coreOps(), "aten::gelu");
        assertEquals(new ProvidedBy(Kind.LOWERING, "com.example.vendor", "2.0.0", 100, null), gelu.winner());
        assertEquals(List.of(new ProvidedBy(Kind.LOWERING, "io.torchtpu.lowering.aten", "0.1.0", 0, null)), gelu.others());
        assertTrue(gelu.schema().startsWith("aten::gelu(Tensor self"));

        OpStatus relu = find(report.coreOps(), "aten::relu");
        assertEquals("io.torchtpu.lowering.aten", relu.winner().bundle());
        assertEquals(List.of(new ProvidedBy(Kind.LOWERING, "com.example.tpu", "1.0.0", 0, "tpu-v6e")), relu.others());
        assertEquals("com.example.tpu", registry.coverage("tpu-v6e").coreOps().stream()
                .filter(s -> s.op().equals("aten::relu")).findFirst().orElseThrow().winner().bundle(), "the backend filter");

        assertFalse(find(report.coreOps(), "aten::abs").covered());
        assertNull(find(report.coreOps(), "aten::abs").winner());

        assertEquals(List.of("aten::linear"), report.otherOps().stream().map(OpStatus::op).toList());
        assertEquals(Kind.DECOMPOSITION, report.otherOps().get(0).winner().kind());
    }
}
