package io.torchtpu.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** Starts real Felix containers from the built distribution and changes their features while they run. */
class ContainerTest {
    private static final String COMMAND_PROCESSOR = "org.apache.felix.service.command.CommandProcessor";

    @TempDir
    Path temp;

    private static ContainerOptions options() {
        return ContainerOptions.fromHome(ContainerOptions.defaultHome());
    }

    /** A service by class name, whichever class space it lives in (the launcher does not see Gogo's or SCR's classes). */
    private static Object service(BundleContext context, String className) {
        try {
            var references = context.getAllServiceReferences(className, null);
            return references == null ? null : references[0];
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    private static Bundle bundle(BundleContext context, String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst()
                .orElse(null);
    }

    @Test
    void coreFeatureStartsDeclarativeServicesAndConfigurationAdmin() {
        try (Container container = Container.start(options())) {
            BundleContext context = container.bundleContext();
            for (String name : List.of("org.apache.felix.scr", "org.apache.felix.configadmin", "org.apache.felix.log",
                    "io.torchtpu.api")) {
                Bundle bundle = bundle(context, name);
                assertNotNull(bundle, name + " should be installed by the core feature");
                assertEquals(Bundle.ACTIVE, bundle.getState(), name + " should be active");
            }
            assertNotNull(service(context, "org.osgi.service.component.runtime.ServiceComponentRuntime"));
            assertNotNull(context.getServiceReference(ConfigurationAdmin.class));
            assertTrue(container.startProblems().isEmpty(), () -> container.startProblems().toString());
        }
    }

    @Test
    void aFeatureAddedAtRuntimeBringsItsServicesAndTakesThemAwayWhenRemoved() {
        try (Container container = Container.start(options())) {
            BundleContext context = container.bundleContext();
            assertNull(service(context, COMMAND_PROCESSOR), "no shell before the feature is added");

            FeatureManager.Report added = container.features().add("shell");
            assertTrue(added.ok(), added.problems().toString());
            assertNotNull(service(context, COMMAND_PROCESSOR), "the Gogo runtime should publish its CommandProcessor");
            assertEquals(Bundle.ACTIVE, bundle(context, "org.apache.felix.gogo.runtime").getState());
            assertTrue(container.features().isActive("shell"));

            FeatureManager.Report removed = container.features().remove("shell");
            assertTrue(removed.ok(), removed.problems().toString());
            assertEquals(added.bundles().size(), removed.bundles().size(), "every bundle the feature added goes: " + removed.bundles());
            assertNull(service(context, COMMAND_PROCESSOR), "the CommandProcessor should be gone with its feature");
            assertNull(bundle(context, "org.apache.felix.gogo.runtime"), "the shell bundles should be uninstalled");
            assertEquals(Bundle.ACTIVE, bundle(context, "org.apache.felix.scr").getState(), "core keeps running");

            // and back again: removal left nothing behind that blocks a second add
            assertTrue(container.features().add("shell").ok());
            assertNotNull(service(context, COMMAND_PROCESSOR));
        }
    }

    @Test
    void theCpuFeaturePublishesABackendWhileItIsActive() {
        try (Container container = Container.start(options())) {
            BundleContext context = container.bundleContext();
            assertNull(service(context, "io.torchtpu.api.Backend"));
            assertTrue(container.features().add("cpu").ok());
            Object backend = service(context, "io.torchtpu.api.Backend");
            assertNotNull(backend, "the CPU backend should be published");
            assertEquals("cpu", ((org.osgi.framework.ServiceReference<?>) backend).getProperty("torchtpu.backend"));
            assertTrue(container.features().remove("cpu").ok());
            assertNull(service(context, "io.torchtpu.api.Backend"), "the backend goes with its feature");
            assertNull(bundle(context, "io.torchtpu.runtime.pjrt"));
        }
    }

    @Test
    void aBundleSharedWithAnotherActiveFeatureStaysWhenOneIsRemoved() throws IOException {
        Path overlap = temp.resolve("overlap.json");
        Files.writeString(overlap, feature("overlap", gogoRuntimeId()));
        try (Container container = Container.start(options())) {
            container.features().add("shell");
            assertTrue(container.features().add(overlap.toString()).ok());
            container.features().remove("shell");
            Bundle runtime = bundle(container.bundleContext(), "org.apache.felix.gogo.runtime");
            assertNotNull(runtime, "gogo.runtime is still used by the overlap feature");
            assertNull(bundle(container.bundleContext(), "org.apache.felix.gogo.shell"));
        }
    }

    @Test
    void aMissingBundleIsReportedWithFileAndIdAndTheRestStarts() throws IOException {
        Path file = temp.resolve("broken.json");
        Files.writeString(file, feature("broken", "com.example:not-there:1.0.0", gogoRuntimeId()));
        try (Container container = Container.start(options())) {
            FeatureManager.Report report = container.features().add(file.toString());
            assertEquals(1, report.problems().size(), report.problems().toString());
            String problem = report.problems().get(0);
            assertTrue(problem.startsWith(file.toString() + ": bundle com.example:not-there:1.0.0 is not in the bundle repository"), problem);
            assertTrue(problem.contains("--repository"), "the message says how to fix it: " + problem);
            assertEquals(Bundle.ACTIVE, bundle(container.bundleContext(), "org.apache.felix.gogo.runtime").getState(),
                    "the bundle that was found still starts");
        }
    }

    @Test
    void aBundleThatDoesNotResolveIsNamedWithTheMissingPackage() throws IOException {
        Path repository = temp.resolve("repo");
        Path jar = repository.resolve("com/example/needs-missing/1.0.0/needs-missing-1.0.0.jar");
        writeBundle(jar, "com.example.needs.missing", "com.example.absent;version=\"[2.1,3)\"");
        Path file = temp.resolve("unresolvable.json");
        Files.writeString(file, feature("unresolvable", "com.example:needs-missing:1.0.0"));
        try (Container container = Container.start(options().addRepository(repository))) {
            FeatureManager.Report report = container.features().add(file.toString());
            assertEquals(1, report.problems().size(), report.problems().toString());
            String problem = report.problems().get(0);
            assertTrue(problem.startsWith(file + ": bundle com.example.needs.missing 1.0.0 [installed] did not start: "), problem);
            assertTrue(problem.contains("needs package com.example.absent version [2.1.0,3.0.0)"), problem);
            assertTrue(problem.endsWith("no installed bundle provides it"), problem);
            assertEquals(Bundle.ACTIVE, bundle(container.bundleContext(), "org.apache.felix.scr").getState(), "the container keeps running");
        }
    }

    @Test
    void aFeatureThatNeedsALaterOneStartsOnceThatOneIsAdded() {
        // demo needs libtorch's packages; given first, it waits for them instead of failing for good
        try (Container container = Container.start(options().addFeature("demo").addFeature("libtorch"))) {
            assertTrue(container.startProblems().isEmpty(), container.startProblems().toString());
            assertEquals(Bundle.ACTIVE, bundle(container.bundleContext(), "io.torchtpu.examples.mlp").getState());
        }
    }

    @Test
    void aMalformedFeatureFileIsRefusedWithItsName() throws IOException {
        Path file = temp.resolve("malformed.json");
        Files.writeString(file, "{ \"id\": \"io.torchtpu:x:1.0\", \"bundles\": [ { \"id\": ");
        try (Container container = Container.start(options())) {
            FeatureException e = assertThrows(FeatureException.class, () -> container.features().add(file.toString()));
            assertTrue(e.getMessage().startsWith(file + ": not a valid OSGi feature file"), e.getMessage());
            assertEquals(Bundle.ACTIVE, bundle(container.bundleContext(), "org.apache.felix.scr").getState());
            assertTrue(container.features().add("shell").ok(), "the container still takes a valid feature");
        }
    }

    @Test
    void anUnknownFeatureNameListsTheKnownOnes() {
        try (Container container = Container.start(options())) {
            FeatureException e = assertThrows(FeatureException.class, () -> container.features().add("no-such-feature"));
            assertTrue(e.getMessage().contains("no feature named 'no-such-feature'"), e.getMessage());
            assertTrue(e.getMessage().contains("core") && e.getMessage().contains("shell"), e.getMessage());
        }
    }

    @Test
    void theConfigFileReachesConfigurationAdmin() throws IOException {
        Path config = temp.resolve("config.json");
        Files.writeString(config, "{ \"io.torchtpu.example\": { \"plugin\": \"/opt/pjrt.so\", \"deviceCount:Integer\": 2 } }");
        try (Container container = Container.start(options().configFile(config))) {
            ConfigurationAdmin admin = container.bundleContext().getService(
                    container.bundleContext().getServiceReference(ConfigurationAdmin.class));
            Configuration configuration = admin.getConfiguration("io.torchtpu.example", "?");
            Dictionary<String, Object> properties = configuration.getProperties();
            assertNotNull(properties, "the configuration should exist");
            assertEquals("/opt/pjrt.so", properties.get("plugin"));
            assertEquals(2, properties.get("deviceCount"));
        }
    }

    @Test
    void aBrokenConfigFileNamesTheFile() throws IOException {
        Path config = temp.resolve("bad-config.json");
        Files.writeString(config, "{ \"pid\": { \"key\": ");
        FeatureException e = assertThrows(FeatureException.class, () -> Container.start(options().configFile(config)));
        assertTrue(e.getMessage().startsWith(config.toString()), e.getMessage());
    }

    @Test
    void theGogoCommandsAddListAndRemoveFeatures() {
        try (Container container = Container.start(options())) {
            FeatureCommands commands = new FeatureCommands(container.features());
            String added = commands.feature("add", "shell");
            assertTrue(added.startsWith("feature shell added\n"), added);
            assertTrue(added.contains("org.apache.felix.gogo.runtime"), added);
            assertTrue(commands.features().contains("* shell  (active)"), commands.features());
            assertTrue(commands.feature("remove", "shell").startsWith("feature shell removed"));
            assertFalse(commands.features().contains("* shell"), commands.features());
            assertTrue(commands.feature("explode", "shell").startsWith("error: unknown action 'explode'"));
        }
    }

    private static String gogoRuntimeId() {
        return "org.apache.felix:org.apache.felix.gogo.runtime:" + System.getProperty("felix.gogo.runtime.version");
    }

    private static String feature(String name, String... bundleIds) {
        StringBuilder bundles = new StringBuilder();
        for (String id : bundleIds) {
            bundles.append(bundles.length() == 0 ? "" : ", ").append("{ \"id\": \"").append(id).append("\" }");
        }
        return "{ \"feature-resource-version\": \"1.0\", \"id\": \"io.torchtpu.test:" + name + ":1.0.0\", \"bundles\": [ "
                + bundles + " ] }";
    }

    private static void writeBundle(Path jar, String symbolicName, String importPackage) throws IOException {
        Files.createDirectories(jar.getParent());
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", symbolicName);
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Import-Package", importPackage);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out, manifest)) {
            jarOut.flush();
        }
    }
}
