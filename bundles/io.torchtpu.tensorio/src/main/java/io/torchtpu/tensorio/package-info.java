/**
 * Named host tensors to and from files: safetensors and NumPy's {@code .npz} and {@code .npy}. Readers check
 * every declared size against the file and the {@link io.torchtpu.tensorio.TensorFileLimits} before they
 * allocate, never unpickle, and name the file and the entry in every error.
 */
@Export
@Version("0.1.0")
package io.torchtpu.tensorio;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
