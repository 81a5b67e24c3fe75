package io.torchtpu.lowering.aten;

import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.TypePromotion;
import io.torchtpu.api.graph.Value;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.HloValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Views and reshapes, concatenation, slicing, copies and dtype conversion. Views are values here: XLA has no aliasing. */
final class ShapeOps {
    private ShapeOps() {
    }

    /** A {@code size} attribute with at most one -1, resolved against the element count. */
    private static long[] viewShape(Node n, TensorType in) {
        long[] shape = Metas.longs(n.intsAttr(n.has("size") ? "size" : "shape"));
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (inferred >= 0) {
                    throw new IllegalArgumentException("only one dimension can be inferred: " + Arrays.toString(shape));
                }
                inferred = i;
            } else {
                known *= shape[i];
            }
        }
        if (inferred >= 0) {
            if (known == 0 || in.elementCount() % known != 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is invalid for input of size " + in.elementCount());
            }
            shape[inferred] = in.elementCount() / known;
        }
        if (TensorType.of(in.dtype(), shape).elementCount() != in.elementCount()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is invalid for input of size " + in.elementCount());
        }
        return shape;
    }

    static final AtenOp VIEW = op("aten::view", "aten::reshape", "aten::_unsafe_view", "aten::view_copy")
            .meta((n, p) -> List.of(TensorType.of(n.input(0).type().dtype(), viewShape(n, n.input(0).type()))))
            .lower((c, n, x) -> c.builder().reshape(x.get(0), viewShape(n, x.get(0).type())));

    private static long[] permutation(Node n, int rank) {
        long[] dims = n.intsAttr("dims").stream().mapToLong(d -> Metas.dim(d, rank)).toArray();
        if (dims.length != rank || Arrays.stream(dims).distinct().count() != rank) {
            throw new IllegalArgumentException("dims " + n.intsAttr("dims") + " is not a permutation of " + rank + " dimensions");
        }
        return dims;
    }

    static final AtenOp PERMUTE = op("aten::permute", "aten::permute_copy").meta((n, p) -> {
        TensorType in = n.input(0).type();
        long[] perm = permutation(n, in.rank());
        long[] shape = new long[perm.length];
        for (int i = 0; i < perm.length; i++) {
            shape[i] = in.dim((int) perm[i]);
        }
        return List.of(TensorType.of(in.dtype(), shape));
    }).lower((c, n, x) -> c.builder().transpose(x.get(0), permutation(n, x.get(0).rank())));

    /** {@code expand(size)}: -1 keeps a dimension, new dimensions are added in front, size-1 dimensions stretch. */
    private static long[] expandShape(Node n, TensorType in) {
        long[] size = Metas.longs(n.intsAttr("size"));
        int offset = size.length - in.rank();
        if (offset < 0) {
            throw new IllegalArgumentException("expand: the number of sizes " + size.length + " is less than the rank " + in.rank());
        }
        for (int i = 0; i < size.length; i++) {
            long current = i < offset ? -1 : in.dim(i - offset);
            if (size[i] == -1) {
                if (i < offset) {
                    throw new IllegalArgumentException("expand: -1 is not allowed in a new leading dimension");
                }
                size[i] = current;
            } else if (i >= offset && current != 1 && current != size[i]) {
                throw new IllegalArgumentException("expand: dimension " + i + " of size " + current + " cannot become " + size[i]);
            }
        }
        return size;
    }

    static final AtenOp EXPAND = op("aten::expand", "aten::expand_copy")
            .meta((n, p) -> List.of(TensorType.of(n.input(0).type().dtype(), expandShape(n, n.input(0).type()))))
            .lower((c, n, x) -> c.builder().broadcastTo(x.get(0), expandShape(n, x.get(0).type())));

    private static long[] unsqueezeShape(Node n, TensorType in) {
        int dim = Metas.dim(n.intAttr("dim"), in.rank() + 1);
        long[] shape = new long[in.rank() + 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            shape[i] = i == dim ? 1 : in.dim(j++);
        }
        return shape;
    }

    static final AtenOp UNSQUEEZE = op("aten::unsqueeze", "aten::unsqueeze_copy")
            .meta((n, p) -> List.of(TensorType.of(n.input(0).type().dtype(), unsqueezeShape(n, n.input(0).type()))))
            .lower((c, n, x) -> c.builder().reshape(x.get(0), unsqueezeShape(n, x.get(0).type())));

    /** Squeezes the given dims (all when none are given) that have size 1; others stay, as in PyTorch. */
    private static long[] squeezeShape(Node n, TensorType in) {
        if (n.op().endsWith(".dims") && n.has("dim") && n.intsAttr("dim").isEmpty()) {
            // squeeze.dims with an empty list squeezes nothing, unlike a reduction's empty list
            return in.shape();
        }
        long[] dims = n.has("dim") ? Metas.dims(n, "dim", in.rank()) : ReductionOps.identity(in.rank());
        List<Long> shape = new ArrayList<>();
        for (int i = 0; i < in.rank(); i++) {
            final long axis = i;
            if (in.dim(i) != 1 || Arrays.stream(dims).noneMatch(d -> d == axis)) {
                shape.add(in.dim(i));
            }
        }
        return Metas.longs(shape);
    }

    static final AtenOp SQUEEZE = op("aten::squeeze.dim", "aten::squeeze.dims", "aten::squeeze", "aten::squeeze_copy.dims")
            .meta((n, p) -> List.of(TensorType.of(n.input(0).type().dtype(), squeezeShape(n, n.input(0).type()))))
            .lower((c, n, x) -> c.builder().reshape(x.get(0), squeezeShape(n, x.get(0).type())));

    static final AtenOp FLATTEN = op("aten::flatten.using_ints").meta((n, p) -> List.of(flattenType(n, n.input(0).type())))
            .lower((c, n, x) -> c.builder().reshape(x.get(0), flattenType(n, x.get(0).type()).shape()));

    private static TensorType flattenType(Node n, TensorType in) {
        if (in.rank() == 0) {
            return TensorType.of(in.dtype(), 1);
        }
        int start = Metas.dim(n.intAttr("start_dim", 0), in.rank());
        int end = Metas.dim(n.intAttr("end_dim", -1), in.rank());
        List<Long> shape = new ArrayList<>();
        long merged = 1;
        for (int i = 0; i < in.rank(); i++) {
            if (i < start || i > end) {
                shape.add(in.dim(i));
            } else {
                merged *= in.dim(i);
                if (i == end) {
                    shape.add(merged);
                }
            }
        }
        return TensorType.of(in.dtype(), Metas.longs(shape));
    }

    /** cat promotes its inputs to their result type; it does not broadcast. */
    static final AtenOp CAT = op("aten::cat").meta((n, p) -> {
        DType dtype = TypePromotion.resultType(n.inputs().stream().map(Value::type).toList(), List.of());
        TensorType first = n.input(0).type();
        int dim = Metas.dim(n.intAttr("dim", 0), first.rank());
        long[] shape = first.shape();
        shape[dim] = 0;
        for (Value input : n.inputs()) {
            if (input.type().rank() != first.rank()) {
                throw new IllegalArgumentException("cat: tensors must have one rank, got " + input.type() + " and " + first);
            }
            shape[dim] += input.type().dim(dim);
        }
        return List.of(TensorType.of(dtype, shape));
    }).lower((c, n, x) -> {
        DType dtype = TypePromotion.resultType(n.inputs().stream().map(Value::type).toList(), List.of());
        List<HloValue> inputs = x.stream().map(v -> c.builder().convert(v, dtype)).toList();
        return c.builder().concatenate(inputs, Metas.dim(n.intAttr("dim", 0), x.get(0).rank()));
    });

    /** Python slice bounds: negative counts from the end, out of range clamps. */
    private static long[] sliceBounds(Node n, TensorType in) {
        int dim = Metas.dim(n.intAttr("dim", 0), in.rank());
        long size = in.dim(dim);
        long start = n.intAttr("start", 0);
        long end = n.intAttr("end", Long.MAX_VALUE);
        long step = n.intAttr("step", 1);
        if (step < 1) {
            throw new IllegalArgumentException("slice step must be positive, got " + step);
        }
        start = Math.min(Math.max(start < 0 ? start + size : start, 0), size);
        end = Math.min(Math.max(end < 0 ? end + size : end, start), size);
        return new long[] {dim, start, end, step};
    }

    static final AtenOp SLICE = op("aten::slice.Tensor", "aten::slice_copy.Tensor").meta((n, p) -> {
        TensorType in = n.input(0).type();
        long[] s = sliceBounds(n, in);
        long[] shape = in.shape();
        shape[(int) s[0]] = (s[2] - s[1] + s[3] - 1) / s[3];
        return List.of(TensorType.of(in.dtype(), shape));
    }).lower((c, n, x) -> {
        HloValue in = x.get(0);
        long[] s = sliceBounds(n, in.type());
        long[] start = new long[in.rank()];
        long[] limit = in.shape();
        long[] strides = new long[in.rank()];
        Arrays.fill(strides, 1);
        start[(int) s[0]] = s[1];
        limit[(int) s[0]] = s[2];
        strides[(int) s[0]] = s[3];
        return c.builder().slice(in, start, limit, strides);
    });

    static final AtenOp SELECT = op("aten::select.int", "aten::select_copy.int").meta((n, p) -> {
        TensorType in = n.input(0).type();
        int dim = Metas.dim(n.intAttr("dim"), in.rank());
        long index = n.intAttr("index");
        if (index < -in.dim(dim) || index >= in.dim(dim)) {
            throw new IllegalArgumentException("select: index " + index + " is out of range for dimension " + dim + " of " + in);
        }
        return List.of(TensorType.of(in.dtype(), Metas.reducedShape(in.shape(), new long[] {dim}, false)));
    }).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        HloValue in = x.get(0);
        int dim = Metas.dim(n.intAttr("dim"), in.rank());
        long index = n.intAttr("index");
        index = index < 0 ? index + in.shape()[dim] : index;
        long[] start = new long[in.rank()];
        long[] limit = in.shape();
        long[] strides = new long[in.rank()];
        Arrays.fill(strides, 1);
        start[dim] = index;
        limit[dim] = index + 1;
        return b.reshape(b.slice(in, start, limit, strides), Metas.reducedShape(in.shape(), new long[] {dim}, false));
    });

    /** Copies and aliases are the value itself: StableHLO values are immutable. */
    static final AtenOp IDENTITY = op("aten::clone", "aten::contiguous", "aten::alias", "aten::alias_copy", "aten::detach",
            "aten::lift_fresh_copy").meta(Metas.SAME_AS_INPUT).lower((c, n, x) -> x.get(0));

    /** {@code _to_copy(self, dtype=None, ...)}: a dtype conversion; layout, device and memory format do not apply. */
    static final AtenOp TO_COPY = op("aten::_to_copy")
            .meta((n, p) -> List.of(Metas.withDtype(n.input(0).type(), n.dtypeAttr("dtype").orElse(n.input(0).type().dtype()))))
            .lower((c, n, x) -> c.builder().convert(x.get(0), n.dtypeAttr("dtype").orElse(x.get(0).dtype())));
}
