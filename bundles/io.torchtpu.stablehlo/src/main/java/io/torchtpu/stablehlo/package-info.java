/**
 * A builder of StableHLO modules as MLIR text: one method per op, each inferring and checking its result
 * type, so that a wrong shape fails in Java with a message instead of in the plugin. The text is
 * deterministic (values are numbered in emission order, numbers are printed exactly) and fingerprinted.
 */
@Export
@Version("0.3.0")
package io.torchtpu.stablehlo;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
