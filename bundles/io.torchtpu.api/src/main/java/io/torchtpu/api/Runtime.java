package io.torchtpu.api;

import java.util.List;
import java.util.Map;

/** A live connection to one device platform: compiles StableHLO and loads executables. */
public interface Runtime {
    /**
     * The attribute that marks an op of a program given to {@link #compile} as an alternative:
     * {@code torchtpu.alternative_to = "%name"} says the op computes, another way, the same tensor as the
     * value {@code %name} of its function, which is defined before it. The lowering emits the plain form of an
     * op beside the form it chose for XLA's own kernels (a convolution it rewrote as matrix products, say); a
     * runtime whose kernels run the plain form better may read the alternative in place of that value.
     * Nothing else reads an alternative, so every compiler that ignores the mark drops it as dead code.
     */
    String ALTERNATIVE_TO = "torchtpu.alternative_to";

    /** The platform's name, such as {@code cpu}, {@code cuda} or {@code tpu}. */
    String platformName();

    /** The platform's version as the plugin reports it. */
    String platformVersion();

    /**
     * What a compiled program depends on besides its text: platform, plugin build, device count. Compile
     * caches put it in their key, so that an executable is never loaded into a runtime it was not made for.
     */
    default String identity() {
        return platformName() + " " + platformVersion() + " " + devices().size() + " device(s)";
    }

    /** The devices this runtime can address. */
    List<Device> devices();

    /**
     * Compiles a StableHLO module given as MLIR text.
     *
     * @param stableHlo the module text
     * @param options compile options by name; unknown names are refused
     */
    Executable compile(String stableHlo, Map<String, Object> options);

    /** Copies a tensor to the runtime's first device, to be passed to many runs without copying it again. */
    DeviceBuffer upload(HostTensor tensor);

    /** Loads an executable that {@link Executable#serialize()} wrote on a runtime of the same platform and version. */
    Executable deserialize(byte[] serialized);
}
