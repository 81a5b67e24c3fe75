package io.torchtpu.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.torchtpu.api.Backend;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleWiring;

/** The API bundle resolves in Felix and exports its package at the version bnd baselines. */
class ApiBundleTest {

    @Test
    void apiPackageIsExportedWithItsSemanticVersion() {
        Bundle api = FrameworkUtil.getBundle(Backend.class);
        assertNotNull(api, "io.torchtpu.api should come from its bundle");
        assertEquals(Bundle.ACTIVE, api.getState());
        List<BundleCapability> exports = api.adapt(BundleWiring.class).getCapabilities("osgi.wiring.package");
        BundleCapability export = exports.stream()
                .filter(c -> "io.torchtpu.api".equals(c.getAttributes().get("osgi.wiring.package")))
                .findFirst().orElseThrow(() -> new AssertionError("io.torchtpu.api is not exported: " + exports));
        assertEquals("0.2.0", export.getAttributes().get("version").toString());
    }

    @Test
    void declarativeServicesRuns() {
        Bundle self = FrameworkUtil.getBundle(ApiBundleTest.class);
        boolean scrActive = java.util.Arrays.stream(self.getBundleContext().getBundles())
                .anyMatch(b -> "org.apache.felix.scr".equals(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE);
        assertEquals(true, scrActive, "Apache Felix SCR should be active in the test framework");
    }
}
