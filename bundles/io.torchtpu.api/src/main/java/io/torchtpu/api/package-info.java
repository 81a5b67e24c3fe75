/**
 * The TorchTPU API: value types and the service interfaces that backends, runtimes and hosts
 * implement or call. A vendor bundle compiles against this package alone.
 */
@Export
@Version("0.2.0")
package io.torchtpu.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
