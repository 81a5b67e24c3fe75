package io.torchtpu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.Model;
import io.torchtpu.api.ReferenceRunner;
import io.torchtpu.api.TorchTpu;
import io.torchtpu.api.TraceException;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.libtorch.TorchModels;
import io.torchtpu.libtorch.TorchTensors;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.util.tracker.ServiceTracker;

/** Every fixture model, end to end in Felix: the pt2 tracer, the lowering registry, the engine and the CPU backend. */
class ModelsInFelixTest {
    private static final double TOLERANCE = 1e-4;
    private final BundleContext context = FrameworkUtil.getBundle(ModelsInFelixTest.class).getBundleContext();
    private ServiceTracker<TorchTpu, TorchTpu> tracker;
    private TorchTpu engine;

    @BeforeEach
    void engine() throws InterruptedException {
        tracker = new ServiceTracker<>(context, TorchTpu.class, null);
        tracker.open();
        engine = tracker.waitForService(TimeUnit.SECONDS.toMillis(30));
        assertNotNull(engine, "the TorchTpu service should run");
    }

    @AfterEach
    void unloadAll() {
        engine.models().forEach(model -> engine.unload(model.name()));
        tracker.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "resnet18", "mobilenet_v2", "bert", "gpt2"})
    void theExportedProgramMatchesPyTorch(String name) {
        Model model = engine.load(name, Fixtures.directory(name).resolve("model.pt2"), "cpu", TraceOptions.defaults());
        List<HostTensor> outputs = model.run(Fixtures.inputs(name));
        List<HostTensor> reference = Fixtures.reference(name);
        assertEquals(reference.size(), outputs.size());
        for (int i = 0; i < outputs.size(); i++) {
            assertEquals(reference.get(i).type(), outputs.get(i).type(), name + " output " + i);
            double error = Fixtures.relativeError(outputs.get(i), reference.get(i));
            assertTrue(error <= TOLERANCE, name + " output " + i + ": relative error " + error);
        }
        assertEquals(1, model.stats().requests());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "resnet18", "mobilenet_v2", "bert", "gpt2"})
    void theTorchScriptArchiveMatchesPyTorchAndLibtorch(String name) throws Exception {
        java.nio.file.Path archive = Fixtures.directory(name).resolve("model.pt");
        Model model = engine.load(name + "-ts", archive, "cpu", TraceOptions.defaults());
        List<HostTensor> inputs = Fixtures.inputs(name);
        List<HostTensor> outputs = model.run(inputs);
        List<HostTensor> reference = Fixtures.reference(name);
        ServiceTracker<ReferenceRunner, ReferenceRunner> runners = new ServiceTracker<>(context, ReferenceRunner.class, null);
        runners.open();
        try {
            ReferenceRunner libtorch = runners.waitForService(TimeUnit.SECONDS.toMillis(30));
            assertNotNull(libtorch, "the libtorch reference runner should run");
            List<HostTensor> fromLibtorch = libtorch.run(archive, inputs);
            for (int i = 0; i < outputs.size(); i++) {
                double stored = Fixtures.relativeError(outputs.get(i), reference.get(i));
                double live = Fixtures.relativeError(outputs.get(i), fromLibtorch.get(i));
                assertTrue(stored <= TOLERANCE, name + " output " + i + " against the stored reference: " + stored);
                assertTrue(live <= TOLERANCE, name + " output " + i + " against libtorch now: " + live);
            }
        } finally {
            runners.close();
        }
    }

    @Test
    void libtorchTensorsGoInAndComeOutWithoutHostCopies() {
        Model model = engine.load("mlp", Fixtures.directory("mlp").resolve("model.pt2"), "cpu", TraceOptions.defaults());
        Tensor input = TorchTensors.copy(Fixtures.inputs("mlp").get(0));
        List<Tensor> outputs = TorchModels.run(model, List.of(input));
        HostTensor output = TorchTensors.toHost(outputs.get(0));
        assertTrue(Fixtures.relativeError(output, Fixtures.reference("mlp").get(0)) <= TOLERANCE);
    }

    @Test
    void wrongInputsAreRefusedWithTheExpectedType() {
        Model model = engine.load("mlp", Fixtures.directory("mlp").resolve("model.pt2"), "cpu", TraceOptions.defaults());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.run(List.of(HostTensor.ofFloats(new float[6], 2, 3))));
        assertTrue(e.getMessage().contains("expected tensor<4x32xf32>") && e.getMessage().contains("tensor<2x3xf32>"), e.getMessage());
        assertEquals(1, model.stats().failures());
        assertEquals(Fixtures.reference("mlp").get(0).type(), model.run(Fixtures.inputs("mlp")).get(0).type(), "it still serves");
    }

    @Test
    void aFileNoTracerReadsNamesTheFormatsThatRun() throws Exception {
        java.nio.file.Path notAModel = java.nio.file.Files.createTempFile("not-a-model", ".bin");
        java.nio.file.Files.writeString(notAModel, "hello");
        TraceException e = assertThrows(TraceException.class, () -> engine.load("x", notAModel, "cpu", TraceOptions.defaults()));
        assertTrue(e.getMessage().contains("no tracer reads this file") && e.getMessage().contains("pt2"), e.getMessage());
    }
}
