package io.torchtpu.lowering.aten;

import static io.torchtpu.api.lowering.Promotion.DEFAULT;
import static io.torchtpu.lowering.aten.AtenOp.op;

import io.torchtpu.api.DType;
import io.torchtpu.api.TensorType;
import io.torchtpu.api.graph.Node;
import io.torchtpu.api.graph.Scalar;
import io.torchtpu.api.graph.TypePromotion;
import io.torchtpu.api.lowering.OperandRule;
import io.torchtpu.stablehlo.FunctionBuilder;
import io.torchtpu.stablehlo.FunctionBuilder.Direction;
import io.torchtpu.stablehlo.HloValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that cut, mask or rearrange a tensor without index tensors: split, chunk, unbind and narrow (several
 * outputs become several node outputs), masked_fill, where with Python numbers, tril/triu, roll, flip, repeat
 * and constant padding.
 */
final class RearrangeOps {
    private RearrangeOps() {
    }

    // ---- splitting: several outputs, one per piece --------------------------------------------------

    /** The piece sizes of {@code split.Tensor}: {@code split_size} each, the last one smaller; one empty piece for an empty dim. */
    private static long[] splitSizes(Node n, long size) {
        long splitSize = n.intAttr("split_size");
        if (splitSize < 0 || (splitSize == 0 && size > 0)) {
            throw new IllegalArgumentException(n.op() + ": split_size must be positive, got " + splitSize);
        }
        int count = size == 0 ? 1 : (int) ((size + splitSize - 1) / splitSize);
        long[] sizes = new long[count];
        for (int i = 0; i < count; i++) {
            sizes[i] = Math.min(splitSize, size - i * splitSize);
        }
        return sizes;
    }

    /** {@code chunk}: pieces of ceil(size / chunks), so possibly fewer than {@code chunks}; an empty dim gives {@code chunks} empty pieces. */
    private static long[] chunkSizes(Node n, long size) {
        long chunks = n.intAttr("chunks");
        if (chunks < 1) {
            throw new IllegalArgumentException("chunk: chunks must be positive, got " + chunks);
        }
        if (size == 0) {
            return new long[(int) chunks];
        }
        long splitSize = (size + chunks - 1) / chunks;
        int count = (int) ((size + splitSize - 1) / splitSize);
        long[] sizes = new long[count];
        for (int i = 0; i < count; i++) {
            sizes[i] = Math.min(splitSize, size - i * splitSize);
        }
        return sizes;
    }

    private static long[] pieceSizes(Node n, TensorType self, int dim) {
        long size = self.dim(dim);
        return switch (n.op()) {
            case "aten::chunk" -> chunkSizes(n, size);
            case "aten::unbind.int" -> {
                long[] ones = new long[(int) size];
                Arrays.fill(ones, 1);
                yield ones;
            }
            case "aten::split_with_sizes", "aten::split_with_sizes_copy" -> {
                long[] sizes = Metas.longs(n.intsAttr("split_sizes"));
                if (Arrays.stream(sizes).sum() != size || Arrays.stream(sizes).anyMatch(s -> s < 0)) {
                    throw new IllegalArgumentException(n.op() + ": split_sizes " + Arrays.toString(sizes) + " must be non-negative and add up to "
                            + size + ", the size of dimension " + dim);
                }
                yield sizes;
            }
            default -> splitSizes(n, size);
        };
    }

    private static int splitDim(Node n, TensorType self) {
        if (self.rank() == 0) {
            throw new IllegalArgumentException(n.op() + ": cannot split a 0-d tensor");
        }
        return Metas.dim(n.intAttr("dim", 0), self.rank());
    }

    /** unbind removes the split dimension; the others keep it. */
    static final AtenOp SPLIT = op("aten::split.Tensor", "aten::unsafe_split.Tensor", "aten::split_copy.Tensor", "aten::split_with_sizes",
            "aten::split_with_sizes_copy", "aten::chunk", "aten::unbind.int").meta((n, p) -> {
                TensorType self = n.input(0).type();
                int dim = splitDim(n, self);
                List<TensorType> pieces = new ArrayList<>();
                for (long size : pieceSizes(n, self, dim)) {
                    long[] shape = self.shape();
                    shape[dim] = size;
                    pieces.add(TensorType.of(self.dtype(), n.op().equals("aten::unbind.int") ? Metas.reducedShape(shape, new long[] {dim}, false) : shape));
                }
                return pieces;
            }).lowerAll((c, n, x) -> {
                FunctionBuilder b = c.builder();
                HloValue self = x.get(0);
                int dim = splitDim(n, self.type());
                List<HloValue> pieces = new ArrayList<>();
                long start = 0;
                for (long size : pieceSizes(n, self.type(), dim)) {
                    long[] from = new long[self.rank()];
                    long[] to = self.shape();
                    long[] strides = new long[self.rank()];
                    Arrays.fill(strides, 1);
                    from[dim] = start;
                    to[dim] = start + size;
                    HloValue piece = b.slice(self, from, to, strides);
                    pieces.add(n.op().equals("aten::unbind.int") ? b.reshape(piece, Metas.reducedShape(self.shape(), new long[] {dim}, false)) : piece);
                    start += size;
                }
                return pieces;
            });

    /** {@code narrow(self, dim, start, length)}: {@code start} may count from the end. */
    private static long[] narrowBounds(Node n, TensorType self) {
        int dim = Metas.dim(n.intAttr("dim"), self.rank());
        long size = self.dim(dim);
        long start = n.intAttr("start");
        long length = n.intAttr("length");
        start = start < 0 ? start + size : start;
        if (start < 0 || length < 0 || start + length > size) {
            throw new IllegalArgumentException("narrow: start " + n.intAttr("start") + " and length " + length + " do not fit dimension " + dim
                    + " of " + self);
        }
        return new long[] {dim, start, length};
    }

    static final AtenOp NARROW = op("aten::narrow", "aten::narrow_copy").meta((n, p) -> {
        TensorType self = n.input(0).type();
        long[] bounds = narrowBounds(n, self);
        long[] shape = self.shape();
        shape[(int) bounds[0]] = bounds[2];
        return List.of(TensorType.of(self.dtype(), shape));
    }).lower((c, n, x) -> {
        HloValue self = x.get(0);
        long[] bounds = narrowBounds(n, self.type());
        long[] from = new long[self.rank()];
        long[] to = self.shape();
        long[] strides = new long[self.rank()];
        Arrays.fill(strides, 1);
        from[(int) bounds[0]] = bounds[1];
        to[(int) bounds[0]] = bounds[1] + bounds[2];
        return c.builder().slice(self, from, to, strides);
    });

    // ---- masking ----------------------------------------------------------------------------------

    /** masked_fill keeps self's dtype (the value is cast to it) and broadcasts self with the mask. */
    static final AtenOp MASKED_FILL = op("aten::masked_fill.Scalar", "aten::masked_fill.Tensor").meta((n, p) -> {
        TensorType self = n.input(0).type();
        TensorType mask = n.input(1).type();
        if (mask.dtype() != DType.BOOL) {
            throw new IllegalArgumentException("masked_fill: mask must be a bool tensor, got " + mask);
        }
        if (n.inputs().size() > 2 && n.input(2).type().rank() != 0) {
            throw new IllegalArgumentException("masked_fill: value must be a 0-d tensor, got " + n.input(2).type());
        }
        return List.of(TensorType.of(self.dtype(), TypePromotion.broadcastShapes(self.shape(), mask.shape())));
    }).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        long[] shape = TypePromotion.broadcastShapes(x.get(0).shape(), x.get(1).shape());
        HloValue self = b.broadcastTo(x.get(0), shape);
        HloValue fill = x.size() > 2 ? b.broadcastTo(b.convert(x.get(2), self.dtype()), shape)
                : CreationOps.filled(b, self.type(), n.scalarAttr("value"));
        return b.select(b.broadcastTo(x.get(1), shape), fill, self);
    });

    /**
     * where with one or two Python numbers: promoted with the tensor like {@code where.self} (a float number next to
     * an integer tensor gives the default float); the condition keeps its dtype.
     */
    static final AtenOp WHERE_SCALAR = op("aten::where.ScalarOther", "aten::where.ScalarSelf", "aten::where.Scalar")
            .rule(OperandRule.elementwise(DEFAULT, "self", "other").keepingDtypeOf(0))
            .meta((n, p) -> List.of(TensorType.of(p.computeType(), p.operandTypes().get(0).shape())))
            .lower((c, n, x) -> {
                HloValue condition = c.builder().convert(x.get(0), DType.BOOL);
                // operands: condition, the tensor (if any), then the scalars in the order self, other
                return n.op().equals("aten::where.ScalarSelf") ? c.builder().select(condition, x.get(2), x.get(1))
                        : c.builder().select(condition, x.get(1), x.get(2));
            });

    /** tril/triu keep the elements on and below (above) the {@code diagonal}-th diagonal of the last two dimensions. */
    private static AtenOp triangle(String opName, Direction keep) {
        return op(opName).meta((n, p) -> {
            if (n.input(0).type().rank() < 2) {
                throw new IllegalArgumentException(opName.substring(6) + ": needs a tensor of rank 2 or more, got " + n.input(0).type());
            }
            return List.of(n.input(0).type());
        }).lower((c, n, x) -> {
            FunctionBuilder b = c.builder();
            HloValue self = x.get(0);
            TensorType positions = TensorType.of(DType.I64, self.shape());
            HloValue offset = b.subtract(b.iota(positions, self.rank() - 1), b.iota(positions, self.rank() - 2));
            HloValue mask = b.compare(keep, offset, b.constant(positions, n.intAttr("diagonal", 0)));
            return b.select(mask, self, b.constant(self.type(), 0L));
        });
    }

    static final AtenOp TRIL = triangle("aten::tril", Direction.LE);

    static final AtenOp TRIU = triangle("aten::triu", Direction.GE);

    // ---- moving elements: roll, flip, repeat, pad ---------------------------------------------------

    private static HloValue rollAlong(FunctionBuilder b, HloValue x, int dim, long shift) {
        long size = x.shape()[dim];
        if (size == 0 || Math.floorMod(shift, size) == 0) {
            return x;
        }
        long split = size - Math.floorMod(shift, size);
        long[] strides = new long[x.rank()];
        Arrays.fill(strides, 1);
        long[] start = new long[x.rank()];
        long[] middle = x.shape();
        middle[dim] = split;
        long[] tailStart = new long[x.rank()];
        tailStart[dim] = split;
        return b.concatenate(List.of(b.slice(x, tailStart, x.shape(), strides), b.slice(x, start, middle, strides)), dim);
    }

    /** {@code roll(self, shifts, dims=[])}: with no dims the flattened tensor rolls. */
    static final AtenOp ROLL = op("aten::roll").meta((n, p) -> {
        List<Long> shifts = n.intsAttr("shifts");
        List<Long> dims = n.has("dims") ? n.intsAttr("dims") : List.of();
        if (dims.isEmpty() ? shifts.size() != 1 : shifts.size() != dims.size()) {
            throw new IllegalArgumentException("roll: shifts " + shifts + " and dims " + dims + " must pair up (one shift when dims is empty)");
        }
        dims.forEach(d -> Metas.dim(d, n.input(0).type().rank()));
        return List.of(n.input(0).type());
    }).lower((c, n, x) -> {
        FunctionBuilder b = c.builder();
        HloValue self = x.get(0);
        List<Long> shifts = n.intsAttr("shifts");
        List<Long> dims = n.has("dims") ? n.intsAttr("dims") : List.of();
        if (dims.isEmpty()) {
            HloValue flat = b.reshape(self, self.type().elementCount());
            return b.reshape(rollAlong(b, flat, 0, shifts.get(0)), self.shape());
        }
        HloValue result = self;
        for (int i = 0; i < dims.size(); i++) {
            result = self.rank() == 0 ? result : rollAlong(b, result, Metas.dim(dims.get(i), self.rank()), shifts.get(i));
        }
        return result;
    });

    static final AtenOp FLIP = op("aten::flip").meta((n, p) -> {
        Metas.dims(n, "dims", n.input(0).type().rank());
        return List.of(n.input(0).type());
    }).lower((c, n, x) -> {
        List<Long> dims = n.intsAttr("dims");
        if (dims.isEmpty() || x.get(0).rank() == 0) {
            return x.get(0);
        }
        return c.builder().reverse(x.get(0), Metas.dims(n, "dims", x.get(0).rank()));
    });

    /** {@code repeat(self, repeats)}: self gains leading dims of size 1 up to the repeats' length, then each dim is tiled. */
    private static long[] repeatShape(Node n, TensorType self) {
        long[] repeats = Metas.longs(n.intsAttr("repeats"));
        if (repeats.length < self.rank() || Arrays.stream(repeats).anyMatch(r -> r < 0)) {
            throw new IllegalArgumentException("repeat: repeats " + Arrays.toString(repeats) + " must be non-negative and at least as many as the rank "
                    + self.rank());
        }
        long[] shape = new long[repeats.length];
        int offset = repeats.length - self.rank();
        for (int i = 0; i < shape.length; i++) {
            shape[i] = repeats[i] * (i < offset ? 1 : self.dim(i - offset));
        }
        return shape;
    }

    static final AtenOp REPEAT = op("aten::repeat").meta((n, p) -> List.of(TensorType.of(n.input(0).type().dtype(), repeatShape(n, n.input(0).type()))))
            .lower((c, n, x) -> {
                FunctionBuilder b = c.builder();
                HloValue self = x.get(0);
                long[] repeats = Metas.longs(n.intsAttr("repeats"));
                int offset = repeats.length - self.rank();
                long[] tiled = new long[2 * repeats.length];
                long[] placement = new long[repeats.length];
                long[] padded = new long[repeats.length];
                for (int i = 0; i < repeats.length; i++) {
                    padded[i] = i < offset ? 1 : self.shape()[i - offset];
                    tiled[2 * i] = repeats[i];
                    tiled[2 * i + 1] = padded[i];
                    placement[i] = 2 * i + 1;
                }
                HloValue spread = b.broadcastInDim(b.reshape(self, padded), tiled, placement);
                return b.reshape(spread, repeatShape(n, self.type()));
            });

    /** {@code constant_pad_nd(self, pad, value=0)}: pairs (low, high) from the last dimension backwards; negative pads crop. */
    private static long[][] padding(Node n, TensorType self) {
        long[] pad = Metas.longs(n.intsAttr("pad"));
        if (pad.length % 2 != 0 || pad.length / 2 > self.rank()) {
            throw new IllegalArgumentException("constant_pad_nd: pad " + Arrays.toString(pad) + " must hold pairs for at most " + self.rank()
                    + " dimensions");
        }
        long[] low = new long[self.rank()];
        long[] high = new long[self.rank()];
        for (int i = 0; i < pad.length / 2; i++) {
            int dim = self.rank() - 1 - i;
            low[dim] = pad[2 * i];
            high[dim] = pad[2 * i + 1];
            if (self.dim(dim) + low[dim] + high[dim] < 0) {
                throw new IllegalArgumentException("constant_pad_nd: pad " + Arrays.toString(pad) + " makes dimension " + dim + " of " + self
                        + " negative");
            }
        }
        return new long[][] {low, high};
    }

    static final AtenOp CONSTANT_PAD_ND = op("aten::constant_pad_nd").meta((n, p) -> {
        TensorType self = n.input(0).type();
        long[][] pads = padding(n, self);
        long[] shape = self.shape();
        for (int d = 0; d < shape.length; d++) {
            shape[d] += pads[0][d] + pads[1][d];
        }
        return List.of(TensorType.of(self.dtype(), shape));
    }).lower((c, n, x) -> {
        HloValue self = x.get(0);
        long[][] pads = padding(n, self.type());
        HloValue value = CreationOps.filled(c.builder(), TensorType.of(self.dtype()), n.scalarAttr("value", Scalar.of(0)));
        return c.builder().pad(self, value, pads[0], pads[1], new long[self.rank()]);
    });
}
