package io.torchtpu.tracer.export;

import io.torchtpu.api.DType;
import io.torchtpu.api.HostTensor;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.TraceException;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.graph.Graph;
import io.torchtpu.api.graph.GraphBuilder;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.SourceLocation;
import io.torchtpu.api.graph.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one serialized ExportedProgram ({@code models/<model>.json}, schema {@code torch/_export/serde/schema.py})
 * and its payloads into a {@link Graph}:
 * <ul>
 * <li>user inputs become graph inputs; parameters, buffers and lifted tensor constants become graph constants
 * with their data (small tensor constants inline, the rest parameters);</li>
 * <li>each node becomes an IR node named by its ATen overload ({@code torch.ops.aten.add.Tensor} ->
 * {@code aten::add.Tensor}, {@code .default} dropped); tensor arguments are its inputs in argument order,
 * every other argument an attribute named as in the schema, None left out;</li>
 * <li>a {@code Tensor[]} or {@code Tensor?[]} argument puts its tensors among the inputs and records, as the
 * attribute named after the argument, each element's position in the inputs ({@code -1} for None);</li>
 * <li>multi-output nodes keep every output (the serializer has already folded {@code getitem} into them);</li>
 * <li>user outputs become graph outputs. Buffer mutations (running statistics in training mode) are dropped:
 * the graph computes the user outputs.</li>
 * </ul>
 * Dynamic shapes, control flow, custom objects, effect tokens and pickled payloads are refused, naming the
 * node or tensor.
 */
final class ProgramReader {
    /** The major schema version this reader implements (PyTorch 2.10 writes 8.15); minors only add fields. */
    static final long KNOWN_SCHEMA_MAJOR = 8;
    static final long KNOWN_SCHEMA_MINOR = 15;
    /** Lifted tensor constants up to this size are written into the program text; larger ones are arguments. */
    private static final long INLINE_CONSTANT_BYTES = 256;

    private final Pt2Archive archive;
    private final String modelEntry;
    private final ArchiveLimits limits;
    private final Map<String, TensorMeta> tensorMetas = new HashMap<>();
    private final Map<String, Long> staticSymInts = new HashMap<>();
    private final Map<String, Value> defined = new HashMap<>();

    private ProgramReader(Pt2Archive archive, String modelEntry, ArchiveLimits limits) {
        this.archive = archive;
        this.modelEntry = modelEntry;
        this.limits = limits;
    }

    static Graph read(Pt2Archive archive, String modelName, String graphName, TraceOptions options, ArchiveLimits limits) {
        String modelEntry = "models/" + modelName + ".json";
        ProgramReader reader = new ProgramReader(archive, modelEntry, limits);
        Object document = archive.readJson(modelEntry);
        try {
            if (!(document instanceof JsonObject program)) {
                throw new JsonObject.FormatException("the document should be an object, is " + JsonObject.describe(document));
            }
            checkSchemaVersion(program);
            return reader.graph(program, Payloads.read(archive, modelName), graphName, options);
        } catch (JsonObject.FormatException e) {
            throw archive.errorAt(modelEntry, e.getMessage());
        }
    }

    private static void checkSchemaVersion(JsonObject program) {
        if (!program.has("schema_version")) {
            throw new JsonObject.FormatException("no schema_version: not a serialized ExportedProgram");
        }
        JsonObject version = program.object("schema_version");
        long major = version.integer("major");
        long minor = version.integer("minor");
        if (major != KNOWN_SCHEMA_MAJOR) {
            throw new JsonObject.FormatException("export schema version " + major + "." + minor + " is not supported: this reader supports major version "
                    + KNOWN_SCHEMA_MAJOR + " (" + KNOWN_SCHEMA_MAJOR + "." + KNOWN_SCHEMA_MINOR + ", PyTorch 2.10): "
                    + (major > KNOWN_SCHEMA_MAJOR ? "update TorchTPU" : "re-export the model with PyTorch 2.10"));
        }
    }

    private Graph graph(JsonObject program, Payloads payloads, String graphName, TraceOptions options) {
        JsonObject module = program.object("graph_module");
        JsonObject graph = module.object("graph");
        JsonObject signature = module.object("signature");
        readSymInts(graph);
        JsonObject values = graph.object("tensor_values");
        for (String name : values.members().keySet()) {
            tensorMetas.put(name, TensorMeta.parse(values.object(name), "tensor " + name));
        }

        GraphBuilder builder = new GraphBuilder(graphName);
        readInputs(signature, payloads, builder, options);
        for (JsonObject node : graph.objects("nodes")) {
            builder.add(node(node));
        }
        readOutputs(signature, builder);
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new JsonObject.FormatException("the nodes do not form a valid graph: " + e.getMessage());
        }
    }

    private void readSymInts(JsonObject graph) {
        if (!graph.has("sym_int_values")) {
            return;
        }
        JsonObject symInts = graph.object("sym_int_values");
        for (String name : symInts.members().keySet()) {
            JsonObject value = symInts.object(name);
            if (value.unionKind().equals("as_int")) {
                staticSymInts.put(name, value.integer("as_int"));
            }
        }
    }

    // ---- signature -----------------------------------------------------------------------------------

    private void readInputs(JsonObject signature, Payloads payloads, GraphBuilder builder, TraceOptions options) {
        List<TensorType> userTypes = new ArrayList<>();
        List<String> userNames = new ArrayList<>();
        List<Payloads.Payload> toLoad = new ArrayList<>();
        List<String> toLoadNames = new ArrayList<>();
        List<Boolean> toLoadInline = new ArrayList<>();
        for (JsonObject spec : signature.objects("input_specs")) {
            String kind = spec.unionKind();
            JsonObject body = spec.object(kind);
            switch (kind) {
                case "user_input" -> {
                    JsonObject arg = body.object("arg");
                    String argKind = arg.unionKind();
                    if (argKind.equals("as_tensor")) {
                        String name = arg.object("as_tensor").string("name");
                        userNames.add(name);
                        userTypes.add(typeOf(name));
                    } else if (!isConstantArgument(argKind)) {
                        throw new JsonObject.FormatException(arg.path() + ": a user input of kind " + argKind + " is not supported; "
                                + "only tensors and constants");
                    }
                    // a constant user input (an int, None ...) was specialized into the program at export
                }
                case "parameter" -> {
                    String name = body.object("arg").string("name");
                    String fqn = body.string("parameter_name");
                    toLoad.add(require(payloads.weight(fqn), "parameter", fqn, name));
                    toLoadNames.add(name);
                    toLoadInline.add(false);
                }
                case "buffer" -> {
                    String name = body.object("arg").string("name");
                    String fqn = body.string("buffer_name");
                    // persistent buffers are in the state dict (weights), non-persistent ones among the constants
                    Payloads.Payload payload = payloads.weight(fqn) != null ? payloads.weight(fqn) : payloads.constant(fqn);
                    toLoad.add(require(payload, "buffer", fqn, name));
                    toLoadNames.add(name);
                    toLoadInline.add(false);
                }
                case "tensor_constant" -> {
                    String name = body.object("arg").string("name");
                    String fqn = body.string("tensor_constant_name");
                    Payloads.Payload payload = require(payloads.constant(fqn), "tensor constant", fqn, name);
                    toLoad.add(payload);
                    toLoadNames.add(name);
                    toLoadInline.add(payload.meta().byteSize(fqn) <= INLINE_CONSTANT_BYTES);
                }
                case "constant_input" -> {
                    // a non-tensor constant the program was specialized on; nodes carry its value
                }
                case "custom_obj" -> throw new JsonObject.FormatException(spec.path() + ": custom object inputs (torchbind) are not supported");
                case "token" -> throw new JsonObject.FormatException(spec.path() + ": effect tokens (ops with side effects) are not supported");
                default -> throw new JsonObject.FormatException(spec.path() + ": unknown input kind " + kind);
            }
        }
        checkRequestedInputs(options, userNames, userTypes);
        for (int i = 0; i < userNames.size(); i++) {
            define(builder.input(userNames.get(i), userTypes.get(i)));
        }

        payloads.checkBeforeLoading(toLoad, limits);
        for (int i = 0; i < toLoad.size(); i++) {
            Payloads.Payload payload = toLoad.get(i);
            String name = toLoadNames.get(i);
            TensorType declared = typeOf(name);
            if (!declared.equals(payload.meta().type())) {
                throw archive.errorAt(payload.configEntry(), payload.fqn() + " is a " + payload.meta().type() + ", but the program ("
                        + archive.entryName(modelEntry) + ") uses it as " + name + ": " + declared);
            }
            HostTensor data = payloads.load(payload, limits);
            define(toLoadInline.get(i) ? builder.literal(name, data) : builder.parameter(name, data));
        }
    }

    private Payloads.Payload require(Payloads.Payload payload, String what, String fqn, String name) {
        if (payload == null) {
            throw new JsonObject.FormatException("the " + what + " " + fqn + " (" + name + ") has no entry in the archive's payload configs ("
                    + Payloads.WEIGHTS_DIR + ", " + Payloads.CONSTANTS_DIR + ")");
        }
        return payload;
    }

    private void checkRequestedInputs(TraceOptions options, List<String> names, List<TensorType> types) {
        if (options.inputTypes().isEmpty()) {
            return;
        }
        List<TensorType> requested = options.inputTypes().get();
        if (requested.size() != types.size()) {
            throw new TraceException(archive.file() + ": the program takes " + types.size() + " tensor input(s) " + names + ", "
                    + requested.size() + " input type(s) were given");
        }
        for (int i = 0; i < types.size(); i++) {
            if (!requested.get(i).equals(types.get(i))) {
                throw new TraceException(archive.file() + ": input " + i + " (" + names.get(i) + ") was exported as " + types.get(i)
                        + ", not " + requested.get(i) + "; a .pt2 program has static shapes, re-export it for other shapes");
            }
        }
    }

    private void readOutputs(JsonObject signature, GraphBuilder builder) {
        for (JsonObject spec : signature.objects("output_specs")) {
            String kind = spec.unionKind();
            JsonObject body = spec.object(kind);
            switch (kind) {
                case "user_output" -> {
                    JsonObject arg = body.object("arg");
                    if (!arg.unionKind().equals("as_tensor")) {
                        throw new JsonObject.FormatException(arg.path() + ": a user output of kind " + arg.unionKind()
                                + " (" + JsonObject.describe(arg.get(arg.unionKind())) + ") is not supported; outputs must be tensors");
                    }
                    builder.output(use(arg.object("as_tensor").string("name"), "graph output"));
                }
                case "buffer_mutation", "parameter_mutation", "token" -> {
                    // state updates (batch-norm statistics in training mode); the graph computes the user outputs
                }
                case "user_input_mutation" -> throw new JsonObject.FormatException(spec.path() + ": the program mutates its input "
                        + body.string("user_input_name") + " in place, which is not supported");
                default -> throw new JsonObject.FormatException(spec.path() + ": output kind " + kind
                        + " (a training graph) is not supported; export the model in inference form");
            }
        }
    }

    // ---- nodes ---------------------------------------------------------------------------------------

    private Node node(JsonObject node) {
        String target = node.string("target");
        String op = opName(node, target);
        SourceLocation location = node.has("metadata") ? SourceLocations.of(node.object("metadata").members()) : SourceLocation.UNKNOWN;
        String where = node.path() + " (" + op + (location.isKnown() ? " at " + location : "") + ")";

        List<Value> inputs = new ArrayList<>();
        Map<String, Object> attributes = new LinkedHashMap<>();
        String absentTensor = null;
        for (JsonObject input : node.objects("inputs")) {
            String name = input.string("name");
            JsonObject arg = input.object("arg");
            String kind = arg.unionKind();
            switch (kind) {
                case "as_none" -> absentTensor = absentTensor == null ? name : absentTensor;
                case "as_tensor" -> {
                    refuseGap(where, absentTensor, name);
                    inputs.add(use(arg.object("as_tensor").string("name"), where));
                }
                case "as_optional_tensor" -> {
                    JsonObject optional = arg.object("as_optional_tensor");
                    if (optional.unionKind().equals("as_tensor")) {
                        refuseGap(where, absentTensor, name);
                        inputs.add(use(optional.object("as_tensor").string("name"), where));
                    } else {
                        absentTensor = absentTensor == null ? name : absentTensor;
                    }
                }
                case "as_tensors", "as_optional_tensors" -> {
                    refuseGap(where, absentTensor, name);
                    attributes.put(name, tensorList(arg, kind, inputs, where));
                }
                default -> attributes.put(name, attribute(arg, kind, name, where));
            }
        }
        List<Value> outputs = new ArrayList<>();
        for (JsonObject output : node.objects("outputs")) {
            String kind = output.unionKind();
            switch (kind) {
                case "as_tensor" -> outputs.add(define(output.object("as_tensor").string("name")));
                case "as_tensors" -> {
                    for (JsonObject tensor : output.objects("as_tensors")) {
                        outputs.add(define(tensor.string("name")));
                    }
                }
                case "as_sym_int", "as_sym_float", "as_sym_bool" -> throw new JsonObject.FormatException(where
                        + " computes a symbolic " + kind.substring("as_sym_".length()) + ": dynamic shapes are not supported; "
                        + "export with static shapes");
                case "as_none" -> throw new JsonObject.FormatException(where + " has an output that is None (an undefined tensor), "
                        + "which the graph IR cannot represent");
                default -> throw new JsonObject.FormatException(where + " has an output of kind " + kind + ", which is not supported");
            }
        }
        return new Node(op, inputs, outputs, attributes, location);
    }

    /** {@code torch.ops.aten.add.Tensor} -> {@code aten::add.Tensor}; {@code torch.ops.aten.relu.default} -> {@code aten::relu}. */
    static String opName(JsonObject node, String target) {
        String[] parts = target.split("\\.");
        if (target.startsWith("torch.ops.higher_order.")) {
            throw new JsonObject.FormatException(node.path() + ": " + target + " is a higher-order op (control flow such as cond or "
                    + "while_loop, or a wrapped subgraph), which is not supported");
        }
        if (!target.startsWith("torch.ops.") || parts.length != 5) {
            throw new JsonObject.FormatException(node.path() + ": the target " + target + " is not an operator overload (torch.ops.NS.OP.OVERLOAD)"
                    + (target.startsWith("_operator.") || target.startsWith("math.") || target.startsWith("torch.sym_")
                            ? "; it computes on symbolic sizes: dynamic shapes are not supported, export with static shapes" : ""));
        }
        String op = parts[2] + "::" + parts[3];
        return parts[4].equals("default") ? op : op + "." + parts[4];
    }

    /** A None tensor before a given one would shift the inputs' positions, which the graph IR gives meaning to. */
    private static void refuseGap(String where, String absentTensor, String present) {
        if (absentTensor != null) {
            throw new JsonObject.FormatException(where + ": argument " + absentTensor + " is None but the later tensor argument " + present
                    + " is given; the graph IR leaves out only trailing absent tensors");
        }
    }

    private List<Long> tensorList(JsonObject arg, String kind, List<Value> inputs, String where) {
        List<Long> positions = new ArrayList<>();
        for (JsonObject element : arg.objects(kind)) {
            JsonObject tensor = element;
            if (kind.equals("as_optional_tensors")) {
                if (!element.unionKind().equals("as_tensor")) {
                    positions.add(-1L);
                    continue;
                }
                tensor = element.object("as_tensor");
            }
            positions.add((long) inputs.size());
            inputs.add(use(tensor.string("name"), where));
        }
        return positions;
    }

    /** A non-tensor argument as an IR attribute value. */
    private Object attribute(JsonObject arg, String kind, String name, String where) {
        return switch (kind) {
            case "as_int" -> arg.integer(kind);
            case "as_float" -> arg.floating(kind);
            case "as_bool" -> arg.bool(kind);
            case "as_string" -> arg.string(kind);
            case "as_ints" -> longs(arg, kind, where, name);
            case "as_floats" -> doubles(arg, kind, where, name);
            case "as_sym_int" -> symInt(arg.object(kind), where, name);
            case "as_sym_ints" -> {
                List<Long> values = new ArrayList<>();
                for (JsonObject element : arg.objects(kind)) {
                    values.add(symInt(element, where, name));
                }
                yield values;
            }
            case "as_sym_float" -> staticSym(arg.object(kind), "as_float", where, name);
            case "as_sym_bool" -> staticSym(arg.object(kind), "as_bool", where, name);
            case "as_scalar_type" -> dtype(arg.integer(kind), where, name);
            case "as_layout" -> ScalarTypes.layout(arg.integer(kind));
            case "as_memory_format" -> ScalarTypes.memoryFormat(arg.integer(kind));
            case "as_device" -> device(arg.object(kind));
            case "as_graph" -> throw new JsonObject.FormatException(where + ": argument " + name + " is a subgraph (control flow), "
                    + "which is not supported");
            default -> throw new JsonObject.FormatException(where + ": argument " + name + " is of kind " + kind
                    + ", which the graph IR cannot hold (it holds ints, floats, bools, strings, dtypes and lists of ints or floats)");
        };
    }

    private static List<Long> longs(JsonObject arg, String kind, String where, String name) {
        List<Long> values = new ArrayList<>();
        for (Object element : arg.list(kind)) {
            if (!(element instanceof Long l)) {
                throw new JsonObject.FormatException(where + ": argument " + name + " should hold integers, holds " + JsonObject.describe(element));
            }
            values.add(l);
        }
        return values;
    }

    private static List<Double> doubles(JsonObject arg, String kind, String where, String name) {
        List<Double> values = new ArrayList<>();
        for (Object element : arg.list(kind)) {
            Double d = JsonObject.asDouble(element);
            if (d == null) {
                throw new JsonObject.FormatException(where + ": argument " + name + " should hold numbers, holds " + JsonObject.describe(element));
            }
            values.add(d);
        }
        return values;
    }

    /** A SymIntArgument: a plain int, or the name of a symbol that the graph fixes to an int. */
    private long symInt(JsonObject symInt, String where, String name) {
        if (symInt.unionKind().equals("as_int")) {
            return symInt.integer("as_int");
        }
        String symbol = symInt.string(symInt.unionKind());
        Long value = staticSymInts.get(symbol);
        if (value == null) {
            throw new JsonObject.FormatException(where + ": argument " + name + " is the symbolic size " + symbol
                    + ": dynamic shapes are not supported; export with static shapes");
        }
        return value;
    }

    private static Object staticSym(JsonObject sym, String staticKind, String where, String name) {
        if (sym.unionKind().equals(staticKind)) {
            return staticKind.equals("as_float") ? (Object) sym.floating(staticKind) : (Object) sym.bool(staticKind);
        }
        throw new JsonObject.FormatException(where + ": argument " + name + " is symbolic (" + JsonObject.describe(sym.get(sym.unionKind()))
                + "): dynamic shapes are not supported; export with static shapes");
    }

    private static DType dtype(long scalarType, String where, String name) {
        DType dtype = ScalarTypes.dtype(scalarType);
        if (dtype == null) {
            throw new JsonObject.FormatException(where + ": argument " + name + " is " + ScalarTypes.torchName(scalarType)
                    + ", which the graph IR does not support");
        }
        return dtype;
    }

    /** {@code cpu}, {@code cuda:0}: the string PyTorch's {@code torch.device} prints. */
    private static String device(JsonObject device) {
        String type = device.string("type");
        return device.hasValue("index") ? type + ":" + device.integer("index") : type;
    }

    private static boolean isConstantArgument(String kind) {
        return switch (kind) {
            case "as_none", "as_int", "as_float", "as_bool", "as_string", "as_ints", "as_floats", "as_bools", "as_strings" -> true;
            default -> false;
        };
    }

    // ---- values --------------------------------------------------------------------------------------

    private TensorType typeOf(String name) {
        TensorMeta meta = tensorMetas.get(name);
        if (meta == null) {
            throw new JsonObject.FormatException("graph_module.graph.tensor_values has no entry for the tensor " + name);
        }
        return meta.type();
    }

    private Value define(String name) {
        return define(new Value(name, typeOf(name)));
    }

    private Value define(Value value) {
        if (defined.putIfAbsent(value.name(), value) != null) {
            throw new JsonObject.FormatException("the tensor " + value.name() + " is defined twice");
        }
        return value;
    }

    private Value use(String name, String where) {
        Value value = defined.get(name);
        if (value == null) {
            throw new JsonObject.FormatException(where + " uses the tensor " + name + ", which no input or earlier node defines");
        }
        return value;
    }
}
