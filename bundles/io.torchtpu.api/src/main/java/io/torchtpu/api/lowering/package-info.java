/**
 * The graph-level side of lowering: decompositions, the operand rule every lowering declares (type
 * promotion, broadcasting and scalar operands, applied once by the lowerer before a lowering is called),
 * the {@link io.torchtpu.api.lowering.Lowerer} service and its errors and change events. The StableHLO side
 * of an op lowering (the {@code OpLowering} service) lives in {@code io.torchtpu.stablehlo.lowering},
 * because it is written against the StableHLO builder and this bundle imports nothing.
 */
@Export
@Version("0.1.0")
package io.torchtpu.api.lowering;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
