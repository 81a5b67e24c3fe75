/**
 * The op lowering SPI: an {@link io.torchtpu.stablehlo.lowering.OpLowering} service turns one ATen node into
 * StableHLO with the builder of {@code io.torchtpu.stablehlo}. It lives beside the builder, not in
 * {@code io.torchtpu.api}, because it is written against the builder and the API bundle imports nothing.
 */
@Export
@Version("0.2.0")
package io.torchtpu.stablehlo.lowering;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
