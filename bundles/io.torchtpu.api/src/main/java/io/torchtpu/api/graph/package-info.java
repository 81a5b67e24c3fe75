/**
 * The typed graph IR every tracer produces and the lowerer consumes: values, ATen nodes with their
 * attributes and source locations, constants, and PyTorch's type promotion and broadcasting rules,
 * decided here once so that no lowering re-decides them.
 */
@Export
@Version("0.1.0")
package io.torchtpu.api.graph;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
