/**
 * The PJRT bridge: loads a PJRT plugin (XLA CPU, CUDA, libtpu) through a thin JNI
 * layer and exposes clients, devices, executables and buffers as Java objects.
 *
 * <p>Every native handle is owned by exactly one {@link java.lang.AutoCloseable}
 * object ({@link PjrtClient}, {@link PjrtLoadedExecutable}, {@link PjrtExecutable},
 * {@link PjrtBuffer}); a {@link java.lang.ref.Cleaner} frees handles whose owner
 * was forgotten. Closing a client closes everything it created. Using a closed
 * object throws {@link java.lang.IllegalStateException}; every PJRT error becomes
 * a {@link PjrtException} with its PJRT error code.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.3.0")
package io.torchtpu.runtime.pjrt;
