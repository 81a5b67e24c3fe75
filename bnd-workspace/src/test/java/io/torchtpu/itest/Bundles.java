package io.torchtpu.itest;

import java.util.Arrays;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/** The bundles of the framework the tests run in. */
final class Bundles {
    private Bundles() {}

    /** The installed bundle with this symbolic name; an assertion failure when there is none. */
    static Bundle installed(BundleContext context, String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError(symbolicName + " is not installed"));
    }
}
