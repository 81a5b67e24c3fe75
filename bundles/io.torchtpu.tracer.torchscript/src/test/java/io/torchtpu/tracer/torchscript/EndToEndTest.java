package io.torchtpu.tracer.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.lowering.LoweredModule;
import io.torchtpu.api.lowering.UncoveredOpsException;
import io.torchtpu.lowering.aten.AtenLowerings;
import io.torchtpu.lowering.registry.LoweringRegistry;
import io.torchtpu.runtime.pjrt.PjrtPlugin;
import io.torchtpu.runtime.pjrt.PjrtRuntime;
import io.torchtpu.tensorio.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** TorchScript fixtures traced, lowered with the core ATen lowerings and run on the real XLA CPU plugin. */
class EndToEndTest {

    @Test
    void mlpOnTheCpuPluginMatchesThePyTorchReferenceAndLibtorch() throws IOException {
        Path model = Fixtures.torchScript("mlp");
        Graph graph = new TorchScriptTracer().trace(model, TraceOptions.defaults());
        LoweringRegistry registry = AtenLowerings.registry();
        LoweredModule module = registry.lower(graph, "cpu");
        List<HostTensor> inputs = new ArrayList<>(Safetensors.read(model.resolveSibling("inputs.safetensors")).values());
        List<HostTensor> actual = run(graph, module, inputs);
        HostTensor reference = Safetensors.read(model.resolveSibling("reference.safetensors")).values().iterator().next();
        HostTensor libtorch = libtorchForward(model, inputs.get(0));
        assertEquals(reference.type(), actual.get(0).type());
        double toReference = maxRelativeError(reference.toFloatArray(), actual.get(0).toFloatArray());
        double toLibtorch = maxRelativeError(libtorch.toFloatArray(), actual.get(0).toFloatArray());
        System.out.printf("torchscript mlp on cpu: max relative error %.3g against the reference, %.3g against libtorch%n",
                toReference, toLibtorch);
        assertTrue(toReference < 1e-4, "against the reference: " + toReference);
        assertTrue(toLibtorch < 1e-4, "against libtorch: " + toLibtorch);
    }

    /** Every fixture whose ops all lower runs within 1e-4 of the reference; the ops still lacking are reported, not failed. */
    @Test
    void everyFixtureThatLowersMatchesItsReference() {
        LoweringRegistry registry = AtenLowerings.registry();
        List<String> failures = new ArrayList<>();
        for (String name : Fixtures.MODELS) {
            Graph graph = new TorchScriptTracer().trace(Fixtures.torchScript(name), TraceOptions.defaults());
            try {
                LoweredModule module = registry.lower(graph, "cpu");
                Path model = Fixtures.torchScript(name);
                List<HostTensor> inputs = new ArrayList<>(Safetensors.read(model.resolveSibling("inputs.safetensors")).values());
                HostTensor reference = Safetensors.read(model.resolveSibling("reference.safetensors")).values().iterator().next();
                double error = maxRelativeError(reference.toFloatArray(), run(graph, module, inputs).get(0).toFloatArray());
                System.out.printf("torchscript %s: every op lowers; on cpu, max relative error %.3g against the reference%n", name, error);
                if (!(error < 1e-4)) {
                    failures.add(name + ": max relative error " + error);
                }
            } catch (UncoveredOpsException e) {
                System.out.println("torchscript " + name + ": " + e.getMessage());
            } catch (RuntimeException | IOException e) {
                System.out.println("torchscript " + name + ": lowering or running fails: " + e.getMessage().replace("\n", " / "));
                failures.add(name + ": " + e.getMessage());
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static List<HostTensor> run(Graph graph, LoweredModule module, List<HostTensor> inputs) {
        Map<String, HostTensor> byName = new HashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            byName.put(graph.inputs().get(i).name(), inputs.get(i));
        }
        graph.constants().forEach(c -> byName.put(c.value().name(), c.data()));
        List<HostTensor> arguments = module.arguments().stream().map(v -> byName.get(v.name())).toList();
        try (PjrtRuntime runtime = new PjrtRuntime(PjrtPlugin.loadDefaultCpu().initialize().createClient(Map.of()));
                Executable executable = runtime.compile(module.text(), Map.of())) {
            return executable.run(arguments);
        }
    }

    private static HostTensor libtorchForward(Path model, HostTensor input) {
        JitModule module = torch.load(model.toString());
        module.eval();
        IValue result = module.forward(new IValueVector(new IValue(TorchValues.copy(input))));
        return TorchValues.toHost(result.toTensor());
    }

    /**
     * The largest |actual - expected| over the largest |expected|, the measure {@code torchtpu verify} reports: an
     * element near zero is held to the output's scale, not its own. (Per element, with a floor of 1e-3, the same
     * GPT-2 and BERT logits came out at 1.1-1.5e-4 on an AVX2 machine: f32 sums in another order.)
     */
    private static double maxRelativeError(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        double worst = 0;
        double magnitude = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
            magnitude = Math.max(magnitude, Math.abs(expected[i]));
        }
        return worst / (magnitude == 0 ? 1 : magnitude);
    }
}
