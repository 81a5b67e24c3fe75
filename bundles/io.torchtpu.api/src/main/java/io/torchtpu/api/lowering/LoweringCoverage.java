package io.torchtpu.api.lowering;

/**
 * Which ATen ops the lowerings registered now cover, measured against PyTorch's Core ATen opset. The lowering
 * registry publishes it beside the {@link Lowerer}; the {@code torchtpu:ops} command prints it.
 */
public interface LoweringCoverage {

    /**
     * @param backend the backend id that lowerings limited to a backend are matched against, as in
     *     {@link Lowerer#lower}; null for none (only lowerings for every backend can win)
     */
    CoverageReport coverage(String backend);
}
