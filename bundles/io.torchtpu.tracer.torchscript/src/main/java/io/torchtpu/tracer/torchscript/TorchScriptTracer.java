package io.torchtpu.tracer.torchscript;

import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.TraceException;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.Tracer;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.TypeInference;
import io.torchtpu.api.lowering.Lowerer;
import io.torchtpu.tensorio.Safetensors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * Reads TorchScript archives ({@code torch.jit.save}) and TorchScript source through libtorch: loads, freezes
 * (parameters become constants, calls are inlined), then runs the frozen graph op by op on example inputs so
 * that every value has a static type, and writes the ATen ops into the graph IR.
 *
 * <p>Example inputs: the {@link TraceOptions#inputTypes() input types} the caller gives (filled with seeded
 * values), or else {@value #EXAMPLE_INPUTS} beside the model, whose tensors are taken in file order.
 *
 * <p>Custom ops: a vendor bundle declares an op outside {@code aten::} with a service property
 * {@code torchtpu.op.schema} (see {@link CustomOpSchemas}); libtorch then loads TorchScript that calls it, and the
 * tracer types its nodes with the lowerer (the vendor's lowering or decomposition), since libtorch has no kernel to
 * run it with.
 */
@Component(service = Tracer.class, property = Tracer.FORMAT_PROPERTY + "=" + TorchScriptTracer.FORMAT)
public final class TorchScriptTracer implements Tracer {
    static final String FORMAT = "torchscript";
    static final String EXAMPLE_INPUTS = "inputs.safetensors";

    private CustomOpSchemas customOps;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Lowerer lowerer;

    @Activate
    void activate(BundleContext context) {
        customOps = new CustomOpSchemas(context);
        customOps.open(true);
    }

    @Deactivate
    void deactivate() {
        customOps.close();
    }

    @Override
    public String format() {
        return FORMAT;
    }

    /** A zip whose entries include {@code ROOT/code/...} and {@code ROOT/data.pkl}, or a text file that defines {@code forward}. */
    @Override
    public boolean accepts(Path model) {
        try (InputStream in = Files.newInputStream(model)) {
            byte[] head = in.readNBytes(4096);
            if (head.length >= 4 && head[0] == 'P' && head[1] == 'K') {
                return isTorchScriptArchive(model);
            }
            return isTorchScriptSource(head);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isTorchScriptArchive(Path model) {
        try (ZipFile zip = new ZipFile(model.toFile())) {
            boolean code = false;
            boolean data = false;
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
                String name = e.nextElement().getName();
                int slash = name.indexOf('/');
                String rest = slash < 0 ? name : name.substring(slash + 1);
                code |= rest.startsWith("code/");
                data |= rest.equals("data.pkl");
            }
            return code && data;
        } catch (IOException | IllegalArgumentException e) {
            // IllegalArgumentException: an entry name the JDK cannot decode; not an archive of ours
            return false;
        }
    }

    private static boolean isTorchScriptSource(byte[] head) {
        String text = new String(head, StandardCharsets.UTF_8);
        return text.indexOf('\0') < 0 && text.contains("def forward(");
    }

    @Override
    public Graph trace(Path model, TraceOptions options) {
        if (!Files.isRegularFile(model)) {
            throw new TraceException(model + ": no such file");
        }
        List<HostTensor> examples = exampleInputs(model, options);
        try (LoadedProgram program = LoadedProgram.load(model)) {
            TypeInference typer = lowerer;
            return new GraphConverter(model, program.graph(), examples, name(model), typer).convert();
        }
    }

    private static String name(Path model) {
        Path parent = model.toAbsolutePath().getParent();
        String file = model.getFileName().toString();
        String stem = file.contains(".") ? file.substring(0, file.lastIndexOf('.')) : file;
        return stem.equals("model") && parent != null && parent.getFileName() != null ? parent.getFileName().toString() : stem;
    }

    /** The caller's types win; data comes from the file beside the model when its types agree, else from a seed. */
    static List<HostTensor> exampleInputs(Path model, TraceOptions options) {
        Path beside = model.toAbsolutePath().resolveSibling(EXAMPLE_INPUTS);
        List<HostTensor> stored = null;
        if (Files.isRegularFile(beside)) {
            try {
                stored = new ArrayList<>(Safetensors.read(beside).values());
            } catch (IOException e) {
                throw new TraceException(model + ": the example inputs " + beside + " cannot be read: " + e.getMessage(), e);
            }
        }
        if (options.inputTypes().isEmpty()) {
            if (stored == null) {
                throw new TraceException(model + ": TorchScript does not record input shapes; give the input types "
                        + "(--input-shape) or put example inputs in " + beside);
            }
            return stored;
        }
        List<TensorType> types = options.inputTypes().get();
        if (stored != null && stored.stream().map(HostTensor::type).toList().equals(types)) {
            return stored;
        }
        List<HostTensor> generated = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            generated.add(ExampleTensors.seeded(types.get(i), 1234 + i));
        }
        return generated;
    }

    /** For tests and tools: the example inputs a trace of {@code model} would use. */
    static Map<String, TensorType> describe(List<HostTensor> inputs) {
        Map<String, TensorType> types = new java.util.LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            types.put("input" + i, inputs.get(i).type());
        }
        return types;
    }
}
