/** libtorch in TorchTPU: tensors to and from Bytedeco's, and libtorch as the reference runner. */
@Export
@Version("0.1.0")
package io.torchtpu.libtorch;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
