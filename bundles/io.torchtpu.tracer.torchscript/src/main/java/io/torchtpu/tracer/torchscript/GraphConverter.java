package io.torchtpu.tracer.torchscript;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.TraceException;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.GraphBuilder;
import io.torchtpu.api.graph.Scalar;
import io.torchtpu.api.graph.SourceLocation;
import io.torchtpu.api.graph.TypeInference;
import io.torchtpu.api.graph.Value;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import org.bytedeco.pytorch.Argument;
import org.bytedeco.pytorch.Block;
import org.bytedeco.pytorch.FunctionSchema;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitNode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Operation;
import org.bytedeco.pytorch.SourceRange;
import org.bytedeco.pytorch.SourceRangeOptional;
import org.bytedeco.pytorch.T_StringSizeTSizeT_T;
import org.bytedeco.pytorch.T_StringSizeTSizeT_TOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.Tuple;
import org.bytedeco.pytorch.ValueArrayRef;
import org.bytedeco.pytorch.global.torch;

/**
 * Turns a frozen TorchScript graph into the graph IR by running it: every node is executed by libtorch on the
 * example inputs, so every value has a concrete result, and with it a static type. A value that does not depend
 * on the program's inputs is static: ints, lists, shapes and constant tensors fold away; a static tensor that an
 * emitted op reads becomes a graph constant. Every ATen op that reads a value computed from the inputs becomes an
 * IR node, named by its schema overload, its non-tensor arguments as attributes named as in the schema.
 */
final class GraphConverter {
    /** Ops whose result depends on their inputs' types and shapes only, which are static, never on their data. */
    private static final Set<String> METADATA_OPS = Set.of("aten::size", "aten::sym_size", "aten::dim", "aten::numel",
            "aten::len", "aten::__is__", "aten::__isnot__", "aten::is_floating_point", "aten::stride", "aten::sym_numel",
            "prim::device", "prim::dtype", "prim::layout", "prim::shape", "prim::requires_grad", "prim::is_cuda",
            "prim::is_cpu", "prim::data", "aten::is_contiguous");
    /** Ops that are the identity at inference time, when their {@code train} argument is false. */
    private static final Set<String> DROPOUTS = Set.of("aten::dropout", "aten::feature_dropout", "aten::alpha_dropout",
            "aten::feature_alpha_dropout");
    private static final int MAX_UNROLLED_ITERATIONS = 100_000;
    /** Static tensors with fewer elements are written into the program; larger ones are passed as parameters. */
    private static final long LITERAL_ELEMENTS = 16;

    /** What is known of a TorchScript value beyond its concrete result; null in a {@link Slot} means static. */
    private sealed interface Symbol permits Dynamic, Sequence {
    }

    /** A tensor computed from the program's inputs. */
    private record Dynamic(Value value) implements Symbol {
    }

    /** A list or tuple with at least one element computed from the inputs. */
    private record Sequence(List<Slot> elements) implements Symbol {
    }

    private record Slot(IValue concrete, Symbol symbol) {
        boolean isStatic() {
            return symbol == null;
        }
    }

    private final Path model;
    private final org.bytedeco.pytorch.Graph graph;
    private final List<HostTensor> examples;
    private final GraphBuilder builder;
    private final Map<Long, Slot> slots = new HashMap<>();
    private final Map<IValue, Value> materialized = new HashMap<>();
    private final Set<String> names = new HashSet<>();
    /** Types the nodes of custom ops, which libtorch cannot run: the lowerer's inference; null when none runs. */
    private final TypeInference customOpTypes;

    GraphConverter(Path model, org.bytedeco.pytorch.Graph graph, List<HostTensor> examples, String name) {
        this(model, graph, examples, name, null);
    }

    GraphConverter(Path model, org.bytedeco.pytorch.Graph graph, List<HostTensor> examples, String name,
            TypeInference customOpTypes) {
        this.customOpTypes = customOpTypes;
        this.model = model;
        this.graph = graph;
        this.examples = examples;
        this.builder = new GraphBuilder(name);
    }

    Graph convert() {
        try (NoGradGuard noGrad = new NoGradGuard()) {
            bindInputs();
            runBlock(graph.block());
            List<Value> outputs = new ArrayList<>();
            ValueArrayRef returned = graph.outputs();
            for (long i = 0; i < returned.size(); i++) {
                flatten(slot(returned.get(i)), "output " + i, outputs);
            }
            builder.output(outputs.toArray(Value[]::new));
            return builder.build();
        }
    }

    private void bindInputs() {
        ValueArrayRef inputs = graph.inputs();
        List<org.bytedeco.pytorch.Value> tensors = new ArrayList<>();
        for (long i = 0; i < inputs.size(); i++) {
            org.bytedeco.pytorch.Value input = inputs.get(i);
            String type = input.type().get().str().getString();
            if (input.type().get().is_module() || type.startsWith("__torch__.")) {
                slots.put(input.unique(), new Slot(new IValue(), null)); // self: frozen away, never read
            } else if (type.equals("Tensor") || type.startsWith("Float(") || type.contains("Tensor")) {
                tensors.add(input);
            } else {
                throw new TraceException(model + ": forward takes " + input.debugName().getString() + " of type " + type
                        + "; only tensor inputs are supported");
            }
        }
        if (tensors.size() != examples.size()) {
            throw new TraceException(model + ": forward takes " + tensors.size() + " tensor input(s), " + examples.size()
                    + " example input(s) were given " + TorchScriptTracer.describe(examples));
        }
        for (int i = 0; i < tensors.size(); i++) {
            HostTensor example = examples.get(i);
            Value value = builder.input(unique("input" + i), example.type());
            slots.put(tensors.get(i).unique(), new Slot(new IValue(TorchValues.copy(example)), new Dynamic(value)));
        }
    }

    private void runBlock(Block block) {
        JitNode end = block.return_node();
        for (JitNode node = block.nodes().front(); node.address() != end.address(); node = node.next()) {
            runNode(node);
        }
    }

    private void runNode(JitNode node) {
        String kind = node.kind().toQualString().getString();
        switch (kind) {
            case "prim::Constant" -> {
                IValue value = new IValue(torch.toIValue(node.output()).get());
                bind(node, 0, new Slot(value, null));
            }
            case "prim::If" -> runIf(node);
            case "prim::Loop" -> runLoop(node);
            case "prim::GetAttr", "prim::SetAttr", "prim::CallMethod", "prim::CallFunction" -> throw refuse(node,
                    kind + " is left after freezing and inlining; the module keeps state or calls that TorchTPU cannot fold");
            case "prim::RaiseException" -> throw refuse(node, "the program raises an exception on the example inputs");
            case "prim::ListConstruct", "prim::TupleConstruct" -> {
                // prim ops have no schema, so libtorch cannot hand out their operation; they are built here
                List<Slot> inputs = inputSlots(node);
                IValue built;
                if (kind.equals("prim::ListConstruct")) {
                    GenericList list = new GenericList(node.output().type().get().containedType(0));
                    inputs.forEach(input -> list.push_back(input.concrete()));
                    built = new IValue(list);
                } else {
                    IValueVector elements = new IValueVector();
                    inputs.forEach(input -> elements.push_back(input.concrete()));
                    built = new IValue(Tuple.create(elements));
                }
                boolean dynamic = inputs.stream().anyMatch(s -> !s.isStatic());
                bind(node, 0, new Slot(built, dynamic ? new Sequence(inputs) : null));
            }
            case "prim::ListUnpack", "prim::TupleUnpack" -> {
                Slot input = slot(node.input(0));
                List<Slot> elements = input.symbol() instanceof Sequence sequence ? sequence.elements() : staticElements(input.concrete());
                if (elements.size() != node.outputs().size()) {
                    throw refuse(node, "unpacks " + node.outputs().size() + " values from a sequence of " + elements.size());
                }
                for (int i = 0; i < elements.size(); i++) {
                    bind(node, i, elements.get(i));
                }
            }
            case "prim::TupleIndex", "aten::__getitem__" -> {
                Slot sequence = slot(node.input(0));
                Slot index = slot(node.input(1));
                if (index.isStatic() && (sequence.symbol() instanceof Sequence || kind.equals("prim::TupleIndex"))) {
                    List<Slot> elements = sequence.symbol() instanceof Sequence s ? s.elements() : staticElements(sequence.concrete());
                    long i = index.concrete().toInt();
                    int size = elements.size();
                    if (i < -size || i >= size) {
                        throw refuse(node, "index " + i + " is out of range for a sequence of " + size);
                    }
                    bind(node, 0, elements.get((int) (i < 0 ? i + size : i)));
                } else {
                    generic(node, kind);
                }
            }
            default -> generic(node, kind);
        }
    }

    private void runIf(JitNode node) {
        Slot condition = slot(node.input(0));
        if (!condition.isStatic()) {
            throw refuse(node, "prim::If branches on a value computed from the inputs; data-dependent control flow "
                    + "cannot be compiled to one static program (rewrite it with torch.where, or trace the model)");
        }
        Block taken = node.blocks().at(condition.concrete().toBool() ? 0 : 1);
        runBlock(taken);
        ValueArrayRef results = taken.outputs();
        for (long i = 0; i < results.size(); i++) {
            bind(node, (int) i, slot(results.get(i)));
        }
    }

    /** A loop whose trip count and condition are static is unrolled; any other is refused. */
    private void runLoop(JitNode node) {
        Slot tripCount = slot(node.input(0));
        Slot condition = slot(node.input(1));
        if (!tripCount.isStatic() || !condition.isStatic()) {
            throw refuse(node, "prim::Loop runs a number of times computed from the inputs; only loops with a static trip "
                    + "count are unrolled");
        }
        Block body = node.blocks().at(0);
        List<Slot> carried = new ArrayList<>();
        for (long i = 2; i < node.inputs().size(); i++) {
            carried.add(slot(node.input(i)));
        }
        long trips = tripCount.concrete().toInt();
        boolean running = condition.concrete().toBool();
        for (long iteration = 0; running && iteration < trips; iteration++) {
            if (iteration >= MAX_UNROLLED_ITERATIONS) {
                throw refuse(node, "prim::Loop would unroll to more than " + MAX_UNROLLED_ITERATIONS + " iterations");
            }
            ValueArrayRef parameters = body.inputs();
            slots.put(parameters.get(0).unique(), new Slot(new IValue(iteration), null));
            for (int i = 0; i < carried.size(); i++) {
                slots.put(parameters.get(i + 1).unique(), carried.get(i));
            }
            runBlock(body);
            ValueArrayRef results = body.outputs();
            Slot next = slot(results.get(0));
            if (!next.isStatic()) {
                throw refuse(node, "prim::Loop's condition is computed from the inputs; only static conditions are unrolled");
            }
            running = next.concrete().toBool();
            carried.clear();
            for (long i = 1; i < results.size(); i++) {
                carried.add(slot(results.get(i)));
            }
        }
        for (int i = 0; i < carried.size(); i++) {
            bind(node, i, carried.get(i));
        }
    }

    private void generic(JitNode node, String kind) {
        List<Slot> inputs = inputSlots(node);
        boolean dynamic = inputs.stream().anyMatch(s -> !s.isStatic());
        if (dynamic && isCustomOp(kind)) {
            emit(node, inputs, null); // libtorch has only the schema of a vendor's op: typed by the lowerer, not run
            return;
        }
        List<IValue> results = execute(node, inputs);
        if (!dynamic || METADATA_OPS.contains(kind)) {
            bindAll(node, results, false); // folded: its result is known whatever the inputs hold
            return;
        }
        if (!kind.startsWith("aten::")) {
            throw refuse(node, kind + " reads values computed from the inputs; TorchTPU reads only ATen ops there, and "
                    + "custom ops that a vendor bundle declares (torchtpu.op.schema)");
        }
        boolean tensorResult = false;
        for (IValue result : results) {
            tensorResult |= result.isTensor() || result.isTensorList();
        }
        if (!tensorResult) {
            throw refuse(node, kind + " turns tensor data into a " + results.get(0).tagKind().getString()
                    + ", which a static program cannot know before it runs");
        }
        emit(node, inputs, results);
    }

    private void emit(JitNode node, List<Slot> inputs, List<IValue> results) {
        FunctionSchema schema = node.schema();
        String base = schema.name().getString();
        String overload = schema.overload_name() == null ? "" : schema.overload_name().getString();
        // in-place ops become their functional twin; the mutated input is rebound to the result below
        boolean inPlace = base.endsWith("_") && !base.endsWith("__");
        String functional = inPlace ? base.substring(0, base.length() - 1) : base;
        String op = overload.isEmpty() ? functional : functional + "." + overload;
        SourceLocation location = location(node);

        List<Value> operands = new ArrayList<>();
        Map<String, Object> attributes = new java.util.LinkedHashMap<>();
        Argument arguments = schema.arguments();
        for (int i = 0; i < inputs.size(); i++) {
            Argument argument = arguments.getPointer(i);
            String name = argument.name().getString();
            // the real type: the fake one spells ScalarType, Layout and MemoryFormat as int
            String type = argument.real_type().get().str().getString();
            Slot slot = inputs.get(i);
            if (slot.isStatic() && slot.concrete().isNone()) {
                continue;
            }
            String plain = type.endsWith("?") ? type.substring(0, type.length() - 1) : type;
            if (plain.equals("Tensor")) {
                operands.add(tensorOperand(node, slot, name));
            } else if (plain.equals("Tensor[]") || plain.equals("List[Tensor]")) {
                for (Slot element : elements(node, slot, name)) {
                    operands.add(tensorOperand(node, element, name));
                }
            } else {
                if (!slot.isStatic()) {
                    throw refuse(node, op + " argument " + name + " (" + type + ") is computed from the inputs; it must be static");
                }
                Object attribute = attribute(node, op, name, plain, slot.concrete());
                if (attribute != null) {
                    attributes.put(name, attribute);
                }
            }
        }
        if (DROPOUTS.contains(functional) && Boolean.FALSE.equals(attributes.get("train"))) {
            bind(node, 0, inputs.get(0)); // the identity in eval mode
            return;
        }
        if (results == null) {
            results = customOpResults(node, op, operands, attributes);
        }
        List<TensorType> types = new ArrayList<>();
        List<Integer> listSizes = new ArrayList<>();
        for (IValue result : results) {
            if (result.isTensor()) {
                types.add(type(node, result.toTensor()));
                listSizes.add(-1);
            } else if (result.isTensorList()) {
                Tensor[] elements = result.toTensorVector().get();
                for (Tensor element : elements) {
                    types.add(type(node, element));
                }
                listSizes.add(elements.length);
            } else {
                throw refuse(node, op + " returns a " + result.tagKind().getString() + " beside tensors");
            }
        }
        GraphBuilder.NodeBuilder emitted = builder.op(op, operands.toArray(Value[]::new)).at(location)
                .schema(torch.toString(schema).getString());
        attributes.forEach(emitted::attr);
        List<Value> values;
        try {
            values = emitted.outputs(types.toArray(TensorType[]::new));
        } catch (IllegalArgumentException e) {
            throw refuse(node, op + ": " + e.getMessage());
        }
        int next = 0;
        for (int r = 0; r < results.size(); r++) {
            int size = listSizes.get(r);
            if (size < 0) {
                bind(node, r, new Slot(results.get(r), new Dynamic(values.get(next++))));
            } else {
                List<Slot> elements = new ArrayList<>();
                Tensor[] tensors = results.get(r).toTensorVector().get();
                for (int e = 0; e < size; e++) {
                    elements.add(new Slot(new IValue(tensors[e]), new Dynamic(values.get(next++))));
                }
                bind(node, r, new Slot(results.get(r), new Sequence(elements)));
            }
        }
        if (inPlace && results.size() == 1) {
            slots.put(node.input(0).unique(), slot(node.output(0)));
        }
    }

    /** An op in a namespace of its own (not aten, prim, ...) that libtorch has a schema for but no CPU kernel. */
    private static boolean isCustomOp(String kind) {
        int colons = kind.indexOf("::");
        if (colons < 0 || Set.of("aten", "prim", "prims", "quantized", "_quantized", "onnx", "profiler", "cuda")
                .contains(kind.substring(0, colons))) {
            return false;
        }
        var handle = org.bytedeco.pytorch.Dispatcher.singleton().findOp(new org.bytedeco.pytorch.OperatorName(kind, ""));
        return handle.has_value() && !handle.get().hasKernelForDispatchKey(torch.DispatchKey.CPU)
                && !handle.get().hasKernelForDispatchKey(torch.DispatchKey.CompositeImplicitAutograd)
                && !handle.get().hasKernelForDispatchKey(torch.DispatchKey.CompositeExplicitAutograd);
    }

    /**
     * The results of a custom op's node, typed by the lowerer (the vendor's lowering or decomposition): tensors of
     * zeros, which later nodes run on; their values never reach the program, only their types.
     */
    private List<IValue> customOpResults(JitNode node, String op, List<Value> operands, Map<String, Object> attributes) {
        if (customOpTypes == null) {
            throw refuse(node, op + " is a custom op that libtorch cannot run; no lowering registry runs to type it (add the lowering feature)");
        }
        List<TensorType> types;
        try {
            types = customOpTypes.inferTypes(op, operands, attributes);
        } catch (RuntimeException e) {
            throw refuse(node, op + " is a custom op that libtorch cannot run, and no installed bundle types it: " + e.getMessage());
        }
        if (types.size() != node.outputs().size()) {
            throw refuse(node, op + " has " + node.outputs().size() + " outputs, its lowering types " + types.size());
        }
        List<IValue> results = new ArrayList<>();
        for (TensorType type : types) {
            results.add(new IValue(TorchValues.copy(HostTensor.allocate(type))));
        }
        return results;
    }

    private Value tensorOperand(JitNode node, Slot slot, String argument) {
        if (slot.symbol() instanceof Dynamic dynamic) {
            return dynamic.value();
        }
        if (slot.symbol() instanceof Sequence) {
            throw refuse(node, "argument " + argument + " is a list where a tensor belongs");
        }
        if (!slot.concrete().isTensor()) {
            throw refuse(node, "argument " + argument + " is a " + slot.concrete().tagKind().getString() + " where a tensor belongs");
        }
        return materialize(node, slot.concrete(), argument);
    }

    private List<Slot> elements(JitNode node, Slot slot, String argument) {
        if (slot.symbol() instanceof Sequence sequence) {
            return sequence.elements();
        }
        if (slot.concrete().isTensorList()) {
            List<Slot> elements = new ArrayList<>();
            for (Tensor tensor : slot.concrete().toTensorVector().get()) {
                elements.add(new Slot(new IValue(tensor), null));
            }
            return elements;
        }
        throw refuse(node, "argument " + argument + " is a " + slot.concrete().tagKind().getString() + ", not a list of tensors");
    }

    /** A static tensor as a graph constant: weights as parameters, small tensors as literals. */
    private Value materialize(JitNode node, IValue concrete, String argument) {
        Value known = materialized.get(concrete);
        if (known != null) {
            return known;
        }
        Tensor tensor = concrete.toTensor();
        HostTensor host;
        try {
            host = TorchValues.toHost(tensor);
        } catch (IllegalArgumentException e) {
            throw refuse(node, "constant " + argument + ": " + e.getMessage());
        }
        String name = unique(constantName(node, argument));
        Value value = host.type().elementCount() < LITERAL_ELEMENTS ? builder.literal(name, host) : builder.parameter(name, host);
        materialized.put(concrete, value);
        return value;
    }

    private static String constantName(JitNode node, String argument) {
        return "c_" + argument;
    }

    private Object attribute(JitNode node, String op, String name, String type, IValue value) {
        try {
            switch (type) {
                case "int", "SymInt":
                    return value.toInt();
                case "float":
                    return value.isInt() ? (double) value.toInt() : value.toDouble();
                case "bool":
                    return value.toBool();
                case "str":
                    return value.toStringRef().getString();
                case "Scalar", "number":
                    if (value.isBool()) {
                        return Scalar.of(value.toBool());
                    }
                    return value.isInt() ? Scalar.of(value.toInt()) : Scalar.of(value.toDouble());
                case "ScalarType":
                    return dtype(node, value.toInt());
                case "int[]", "SymInt[]", "List[int]", "List[SymInt]":
                    return value.toIntVector().get();
                case "float[]", "List[float]":
                    return value.toDoubleVector().get();
                case "bool[]", "List[bool]": {
                    List<Long> flags = new ArrayList<>();
                    for (long i = 0; i < value.toBoolList().size(); i++) {
                        flags.add(value.toBoolList().get(i) ? 1L : 0L);
                    }
                    return flags;
                }
                case "Layout", "Device", "MemoryFormat", "Generator":
                    return null; // placement and layout: the compiled program decides them
                default:
                    throw refuse(node, op + " argument " + name + " has type " + type + ", which TorchTPU cannot pass to a lowering");
            }
        } catch (RuntimeException e) {
            if (e instanceof TraceException) {
                throw e;
            }
            throw refuse(node, op + " argument " + name + " (" + type + ") holds " + value.tagKind().getString() + ": " + e.getMessage());
        }
    }

    private DType dtype(JitNode node, long code) {
        try {
            return TorchValues.dtype((int) code);
        } catch (IllegalArgumentException e) {
            throw refuse(node, e.getMessage());
        }
    }

    private TensorType type(JitNode node, Tensor tensor) {
        try {
            return TorchValues.type(tensor);
        } catch (IllegalArgumentException e) {
            throw refuse(node, e.getMessage());
        }
    }

    private void flatten(Slot slot, String what, List<Value> outputs) {
        if (slot.symbol() instanceof Dynamic dynamic) {
            outputs.add(dynamic.value());
        } else if (slot.symbol() instanceof Sequence sequence) {
            for (Slot element : sequence.elements()) {
                flatten(element, what, outputs);
            }
        } else if (slot.concrete().isTensor()) {
            outputs.add(materialize(graph.return_node(), slot.concrete(), what));
        } else if (slot.concrete().isTuple()) {
            var elements = slot.concrete().toTupleRef().elements();
            for (long i = 0; i < elements.size(); i++) {
                flatten(new Slot(new IValue(elements.get(i)), null), what, outputs);
            }
        } else if (slot.concrete().isTensorList()) {
            for (Tensor tensor : slot.concrete().toTensorVector().get()) {
                flatten(new Slot(new IValue(tensor), null), what, outputs);
            }
        } else {
            throw new TraceException(model + ": forward returns a " + slot.concrete().tagKind().getString() + " as its " + what
                    + "; TorchTPU programs return tensors");
        }
    }

    /** Runs the node's own libtorch operation on the concrete inputs. */
    private List<IValue> execute(JitNode node, List<Slot> inputs) {
        IValueVector stack = new IValueVector();
        for (Slot input : inputs) {
            stack.push_back(input.concrete());
        }
        try {
            Operation operation = node.getOperation();
            operation.apply(stack);
        } catch (RuntimeException e) {
            throw new TraceException(model + ": " + node.kind().toQualString().getString() + " at " + location(node)
                    + " fails on the example inputs " + TorchScriptTracer.describe(examples) + ": " + LoadedProgram.firstLine(e), e);
        }
        long count = node.outputs().size();
        if (stack.size() != count) {
            throw refuse(node, "libtorch left " + stack.size() + " values for " + count + " outputs");
        }
        List<IValue> results = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            results.add(new IValue(stack.get(i))); // a copy: the stack's storage goes with it
        }
        return results;
    }

    /** The elements of a static list or tuple. */
    private static List<Slot> staticElements(IValue sequence) {
        List<Slot> elements = new ArrayList<>();
        if (sequence.isTuple()) {
            var tuple = sequence.toTupleRef().elements();
            for (long i = 0; i < tuple.size(); i++) {
                elements.add(new Slot(new IValue(tuple.get(i)), null));
            }
        } else {
            GenericList list = sequence.toList();
            for (long i = 0; i < list.size(); i++) {
                elements.add(new Slot(new IValue(list.get(i)), null));
            }
        }
        return elements;
    }

    private List<Slot> inputSlots(JitNode node) {
        List<Slot> inputs = new ArrayList<>();
        ValueArrayRef values = node.inputs();
        for (long i = 0; i < values.size(); i++) {
            inputs.add(slot(values.get(i)));
        }
        return inputs;
    }

    private Slot slot(org.bytedeco.pytorch.Value value) {
        Slot slot = slots.get(value.unique());
        if (slot == null) {
            throw new TraceException(model + ": value %" + value.debugName().getString() + " is used before it is defined");
        }
        return slot;
    }

    private void bind(JitNode node, int output, Slot slot) {
        slots.put(node.output(output).unique(), slot);
    }

    private void bindAll(JitNode node, List<IValue> results, boolean dynamic) {
        for (int i = 0; i < results.size(); i++) {
            bind(node, i, new Slot(results.get(i), null));
        }
    }

    private String unique(String base) {
        String name = base.replaceAll("[^A-Za-z0-9_.]", "_");
        String candidate = name;
        for (int n = 1; !names.add(candidate); n++) {
            candidate = name + "_" + n;
        }
        return candidate;
    }

    static SourceLocation location(JitNode node) {
        try {
            SourceRange range = node.sourceRange();
            if (range == null || range.isNull() || range.source() == null || range.source().isNull()) {
                return SourceLocation.UNKNOWN;
            }
            // an archive's graph points into its serialized code; the range that generated it is the user's source
            SourceRangeOptional original = range.findSourceRangeThatGenerated();
            if (original != null && original.has_value()) {
                range = original.get();
            }
            T_StringSizeTSizeT_TOptional where = range.file_line_col();
            if (where == null || !where.has_value()) {
                return SourceLocation.UNKNOWN;
            }
            T_StringSizeTSizeT_T place = where.get();
            return new SourceLocation(T_StringSizeTSizeT_T.get0(place).getString(), (int) T_StringSizeTSizeT_T.get1(place),
                    (int) T_StringSizeTSizeT_T.get2(place) + 1, "");
        } catch (RuntimeException e) {
            return SourceLocation.UNKNOWN;
        }
    }

    private TraceException refuse(JitNode node, String problem) {
        return new TraceException(model + ": " + node.kind().toQualString().getString() + " at " + location(node) + ": " + problem);
    }

    /** The ops of a graph with their counts, in first-use order: what a trace reports. */
    static Map<String, Integer> opCounts(Graph graph) {
        Map<String, Integer> counts = new java.util.LinkedHashMap<>();
        graph.nodes().forEach(n -> counts.merge(n.op(), 1, Integer::sum));
        return counts;
    }

    static String describeOps(Graph graph) {
        StringJoiner text = new StringJoiner(", ");
        opCounts(graph).forEach((op, count) -> text.add(op + " x" + count));
        return text.toString();
    }
}
