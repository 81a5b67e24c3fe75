package io.torchtpu.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.feature.Feature;
import org.osgi.service.feature.FeatureBundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds and removes features in a running framework. A bundle shared by several active features stays
 * until the last of them is removed. What fails to install or resolve is reported, one line each, and
 * the rest of the feature keeps running.
 */
public final class FeatureManager {
    private static final Logger LOG = LoggerFactory.getLogger(FeatureManager.class);
    private static final long REFRESH_TIMEOUT_SECONDS = 60;

    private final BundleContext context;
    private final FeatureCatalog catalog;
    private final BundleRepository repository;
    private final ConfigurationApplier configurations;
    private final Map<String, ActiveFeature> active = new LinkedHashMap<>();

    FeatureManager(BundleContext context, FeatureCatalog catalog, BundleRepository repository,
            ConfigurationApplier configurations) {
        this.context = context;
        this.catalog = catalog;
        this.repository = repository;
        this.configurations = configurations;
    }

    /** What adding or removing a feature did. {@code problems} has one plain line per failure. */
    public record Report(String feature, List<String> bundles, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /** A feature the catalog knows, and whether it is active. */
    public record Status(String name, Path file, boolean active, List<String> bundles) {
    }

    private record ActiveFeature(String name, Path file, Feature feature, Set<Long> bundleIds) {
    }

    /**
     * Installs and starts the bundles of a feature, named by short name or file path.
     *
     * @throws FeatureException when the feature cannot be found or read at all
     */
    public synchronized Report add(String nameOrPath) {
        Path file = catalog.find(nameOrPath).orElseThrow(() -> new FeatureException("no feature named '" + nameOrPath
                + "': known features are " + String.join(", ", catalog.files().keySet())
                + " (or give the path of a .json feature file)"));
        String name = FeatureCatalog.shortName(file);
        if (active.containsKey(name)) {
            return new Report(name, bundleNames(active.get(name).bundleIds()), List.of());
        }
        Feature feature = catalog.read(file);
        List<String> problems = new ArrayList<>();
        Set<Long> bundleIds = new LinkedHashSet<>();
        List<Bundle> installed = new ArrayList<>();
        for (FeatureBundle featureBundle : inStartOrder(feature.getBundles())) {
            Bundle bundle = install(file, featureBundle, problems);
            if (bundle != null) {
                bundleIds.add(bundle.getBundleId());
                installed.add(bundle);
            }
        }
        configurations.apply(featureConfigurations(feature));
        context.getBundle(0).adapt(FrameworkWiring.class).resolveBundles(installed);
        for (Bundle bundle : installed) {
            start(file, bundle, problems);
        }
        active.put(name, new ActiveFeature(name, file, feature, bundleIds));
        // what this feature brought may complete a feature added earlier
        retryPending(name);
        // a problem may go away when a later feature brings what is missing: the caller reports what remains
        problems.forEach(problem -> LOG.debug("{}", problem));
        LOG.info("feature {} added: {} of {} bundles active", name, countActive(bundleIds), feature.getBundles().size());
        return new Report(name, bundleNames(bundleIds), List.copyOf(problems));
    }

    /** Stops and uninstalls the bundles of an active feature that no other active feature uses. */
    public synchronized Report remove(String name) {
        ActiveFeature feature = active.get(name);
        if (feature == null) {
            throw new FeatureException("feature '" + name + "' is not active: active features are "
                    + String.join(", ", active.keySet()));
        }
        active.remove(name);
        Set<Long> stillUsed = active.values().stream().flatMap(f -> f.bundleIds().stream()).collect(Collectors.toSet());
        List<String> problems = new ArrayList<>();
        List<Bundle> removed = new ArrayList<>();
        List<Long> reversed = new ArrayList<>(feature.bundleIds());
        java.util.Collections.reverse(reversed);
        for (long id : reversed) {
            Bundle bundle = context.getBundle(id);
            if (bundle == null || stillUsed.contains(id)) {
                continue;
            }
            try {
                bundle.uninstall();
                removed.add(bundle);
            } catch (BundleException | IllegalStateException e) {
                problems.add(feature.file() + ": bundle " + bundle.getSymbolicName() + " could not be uninstalled: "
                        + e.getMessage());
            }
        }
        configurations.delete(featureConfigurations(feature.feature()).keySet());
        refresh(removed);
        problems.forEach(LOG::warn);
        LOG.info("feature {} removed: {} bundles uninstalled", name, removed.size());
        return new Report(name, removed.stream().map(FeatureManager::describe).toList(), List.copyOf(problems));
    }

    /**
     * Tries again to start the bundles of active features that are not running yet, and returns one
     * line for each that still does not start.
     */
    public synchronized List<String> problems() {
        List<String> problems = new ArrayList<>();
        for (ActiveFeature feature : active.values()) {
            for (long id : feature.bundleIds()) {
                Bundle bundle = context.getBundle(id);
                if (bundle != null && bundle.getState() != Bundle.ACTIVE && !isFragment(bundle)) {
                    start(feature.file(), bundle, problems);
                }
            }
        }
        return problems;
    }

    private void retryPending(String except) {
        for (ActiveFeature feature : active.values()) {
            if (feature.name().equals(except)) {
                continue;
            }
            for (long id : feature.bundleIds()) {
                Bundle bundle = context.getBundle(id);
                if (bundle != null && bundle.getState() != Bundle.ACTIVE && !isFragment(bundle)) {
                    List<String> stillFailing = new ArrayList<>();
                    start(feature.file(), bundle, stillFailing);
                    if (stillFailing.isEmpty()) {
                        LOG.info("bundle {} of feature {} started now that {} is active", bundle.getSymbolicName(),
                                feature.name(), except);
                    }
                }
            }
        }
    }

    private static boolean isFragment(Bundle bundle) {
        return (bundle.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    /** Every feature the catalog knows, and those added from elsewhere, with their state. */
    public synchronized List<Status> list() {
        Map<String, Status> statuses = new LinkedHashMap<>();
        catalog.files().forEach((name, file) -> statuses.put(name, new Status(name, file, false, List.of())));
        active.values().forEach(f -> statuses.put(f.name(), new Status(f.name(), f.file(), true, bundleNames(f.bundleIds()))));
        return List.copyOf(statuses.values());
    }

    public synchronized boolean isActive(String name) {
        return active.containsKey(name);
    }

    private Bundle install(Path file, FeatureBundle featureBundle, List<String> problems) {
        var id = featureBundle.getID();
        var jar = repository.locate(id);
        if (jar.isEmpty()) {
            problems.add(file + ": bundle " + id + " is not in the bundle repository (" + repository.describe()
                    + "): build it with `mvn install`, or add the folder that holds it with --repository");
            return null;
        }
        // reference: installs the jar in place instead of copying it into the framework's cache
        String location = "reference:" + jar.get().toUri();
        Bundle existing = context.getBundle(location);
        if (existing != null) {
            return existing;
        }
        try {
            return context.installBundle(location);
        } catch (BundleException e) {
            problems.add(file + ": bundle " + id + " (" + jar.get() + ") could not be installed: " + e.getMessage());
            return null;
        }
    }

    private void start(Path file, Bundle bundle, List<String> problems) {
        if (isFragment(bundle)) {
            return;
        }
        try {
            bundle.start();
        } catch (BundleException e) {
            String reason = e.getType() == BundleException.RESOLVE_ERROR ? ResolutionReport.explain(e.getMessage())
                    : rootMessage(e);
            problems.add(file + ": bundle " + describe(bundle) + " did not start: " + reason);
        } catch (IllegalStateException e) {
            problems.add(file + ": bundle " + describe(bundle) + " did not start: " + e.getMessage());
        }
    }

    private void refresh(Collection<Bundle> bundles) {
        if (bundles.isEmpty()) {
            return;
        }
        CountDownLatch refreshed = new CountDownLatch(1);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(bundles, event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                refreshed.countDown();
            }
        });
        try {
            if (!refreshed.await(REFRESH_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("the framework did not finish refreshing after {} s", REFRESH_TIMEOUT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<FeatureBundle> inStartOrder(List<FeatureBundle> bundles) {
        // an optional "start-order" metadata entry orders bundles; the rest keep the file's order
        return bundles.stream().sorted(Comparator.comparingInt(FeatureManager::startOrder)).toList();
    }

    private static int startOrder(FeatureBundle bundle) {
        Object order = bundle.getMetadata().get("start-order");
        if (order == null) {
            return Integer.MAX_VALUE;
        }
        try {
            return Integer.parseInt(order.toString().trim());
        } catch (NumberFormatException e) {
            throw new FeatureException("bundle " + bundle.getID() + ": start-order must be a whole number, not '" + order + "'");
        }
    }

    private static Map<String, Map<String, Object>> featureConfigurations(Feature feature) {
        Map<String, Map<String, Object>> configurations = new LinkedHashMap<>();
        feature.getConfigurations().forEach((pid, configuration) -> configurations.put(pid, configuration.getValues()));
        return configurations;
    }

    private long countActive(Set<Long> ids) {
        return ids.stream().map(context::getBundle).filter(b -> b != null && b.getState() == Bundle.ACTIVE).count();
    }

    private List<String> bundleNames(Set<Long> ids) {
        return ids.stream().map(context::getBundle).filter(b -> b != null).map(FeatureManager::describe).toList();
    }

    static String describe(Bundle bundle) {
        return bundle.getSymbolicName() + " " + bundle.getVersion() + " [" + stateName(bundle.getState()) + "]";
    }

    static String stateName(int state) {
        return switch (state) {
            case Bundle.ACTIVE -> "active";
            case Bundle.RESOLVED -> "resolved";
            case Bundle.INSTALLED -> "installed";
            case Bundle.STARTING -> "starting";
            case Bundle.STOPPING -> "stopping";
            case Bundle.UNINSTALLED -> "uninstalled";
            default -> "state " + state;
        };
    }

    private static String rootMessage(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + cause;
    }
}
