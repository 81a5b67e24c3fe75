/**
 * TPU generations as plug-in services: a bundle publishes one {@link TpuGeneration} per
 * generation it describes (its facts, with the public source of each number, and the compile
 * defaults that suit it); the TPU backend picks the one that matches the chips it finds, or the
 * target of an ahead-of-time compile, and turns compiled cost figures into a
 * {@link RooflineEstimate}.
 */
@Export
@Version("0.1.0")
package io.torchtpu.api.tpu;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
