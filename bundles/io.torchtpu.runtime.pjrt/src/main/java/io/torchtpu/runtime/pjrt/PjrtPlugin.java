package io.torchtpu.runtime.pjrt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loaded PJRT plugin (a shared library exporting GetPjrtApi). Plugins stay loaded
 * for the life of the process (PJRT plugins cannot be unloaded safely), so there is
 * one instance per file and nothing to close.
 */
public final class PjrtPlugin {
  /** Where the XLA CPU plugin is fetched to, relative to the TorchTPU cache. */
  public static final String CPU_PLUGIN_NAME = "plugins/pjrt_cpu.so";
  /** The script that fetches the pinned XLA CPU plugin. */
  public static final String CPU_FETCH_SCRIPT = "runtime-launcher/scripts/fetch-pjrt-cpu.sh";

  private static final Map<Path, PjrtPlugin> LOADED = new ConcurrentHashMap<>();

  private final Path path;
  private final long api;
  private final int major;
  private final int minor;
  private volatile boolean initialized;

  private PjrtPlugin(Path path, long api) {
    this.path = path;
    this.api = api;
    int[] v = PjrtNative.apiVersion(api);
    this.major = v[0];
    this.minor = v[1];
  }

  /**
   * Loads (dlopen) the plugin at {@code path} and checks its PJRT C API version against
   * the one this bridge was compiled with. Loading the same file twice returns the same
   * instance.
   *
   * @throws PjrtPluginLoadException if the file is missing, is not a PJRT plugin, or its
   *     API version is incompatible (the message names both versions)
   */
  public static PjrtPlugin load(Path path) {
    if (path == null) throw new NullPointerException("plugin path");
    if (!Files.isRegularFile(path)) {
      throw new PjrtPluginLoadException("no PJRT plugin file at " + path.toAbsolutePath()
          + "; for the XLA CPU plugin run " + CPU_FETCH_SCRIPT
          + " (it puts the pinned plugin at ~/.cache/torchtpu/" + CPU_PLUGIN_NAME + ")");
    }
    Path real;
    try {
      real = path.toRealPath();
    } catch (IOException e) {
      throw new PjrtPluginLoadException("cannot resolve PJRT plugin path " + path + ": " + e.getMessage(), e);
    }
    return LOADED.computeIfAbsent(real, p -> {
      SharedLibraryCheck.requireComplete(p);
      return new PjrtPlugin(p, PjrtNative.loadPlugin(p.toString()));
    });
  }

  /**
   * Sets environment variables the plugin reads when it loads, then {@link #load(Path) loads}
   * it. A variable the process already has keeps its value: an operator's setting wins. The
   * variables are set in this process (libtpu, for one, reads TPU_* variables from there), so
   * they matter only before the plugin's first load.
   *
   * @return the plugin; {@link #environmentInEffect} says what each variable ended up as
   */
  public static PjrtPlugin load(Path path, Map<String, String> environmentDefaults) {
    setEnvironmentDefaults(environmentDefaults);
    return load(path);
  }

  /** Sets each variable the process does not have yet; returns every one's value in effect. */
  public static Map<String, String> setEnvironmentDefaults(Map<String, String> defaults) {
    Map<String, String> inEffect = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : defaults.entrySet()) {
      String name = variableName(e.getKey());
      String value = Objects.requireNonNull(e.getValue(), name);
      String before = PjrtNative.setEnvironment(name, value, false);
      inEffect.put(name, before != null ? before : value);
    }
    return Collections.unmodifiableMap(inEffect);
  }

  private static String variableName(String name) {
    Objects.requireNonNull(name, "variable name");
    if (name.isEmpty() || name.indexOf('=') >= 0) {
      throw new IllegalArgumentException("not an environment variable name: '" + name + "'");
    }
    return name;
  }

  /**
   * The value a variable has in this process now (null when unset), including those set by
   * {@link #setEnvironmentDefaults} (which {@link System#getenv} does not see).
   */
  public static String environmentInEffect(String name) {
    return PjrtNative.getEnvironment(Objects.requireNonNull(name, "variable name"));
  }

  /**
   * The default XLA CPU plugin: system property {@code torchtpu.pjrt.plugin}, else
   * {@code $TORCHTPU_CACHE/plugins/pjrt_cpu.so}, else {@code ~/.cache/torchtpu/plugins/pjrt_cpu.so}.
   */
  public static Path defaultCpuPluginPath() {
    String prop = System.getProperty("torchtpu.pjrt.plugin");
    if (prop != null && !prop.isBlank()) return Path.of(prop);
    String cache = System.getenv("TORCHTPU_CACHE");
    Path base = cache != null && !cache.isBlank()
        ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "torchtpu");
    return base.resolve(CPU_PLUGIN_NAME);
  }

  /** Loads {@link #defaultCpuPluginPath()}. */
  public static PjrtPlugin loadDefaultCpu() {
    return load(defaultCpuPluginPath());
  }

  /**
   * PJRT clients, executables and buffers created in this process and not yet destroyed, all plugins together;
   * flat over a long run when nothing leaks.
   */
  public static long openNativeHandles() {
    return NativeResource.OPEN.get();
  }

  /** The PJRT C API version (major, minor) this bridge was compiled against. */
  public static int[] bridgeApiVersion() {
    return PjrtNative.headerVersion();
  }

  /** Calls PJRT_Plugin_Initialize once; later calls do nothing. */
  public PjrtPlugin initialize() {
    if (!initialized) {
      synchronized (this) {
        if (!initialized) {
          PjrtNative.pluginInitialize(api);
          initialized = true;
        }
      }
    }
    return this;
  }

  public boolean isInitialized() {
    return initialized;
  }

  public Path path() {
    return path;
  }

  public int apiMajorVersion() {
    return major;
  }

  public int apiMinorVersion() {
    return minor;
  }

  /** "major.minor" of the plugin's PJRT C API. */
  public String apiVersion() {
    return major + "." + minor;
  }

  /**
   * The plugin's attributes (e.g. xla_version, stablehlo_current_version); values are
   * String, Long, long[], Float or Boolean.
   */
  public Map<String, Object> attributes() {
    return namedValues(PjrtNative.pluginAttributes(api));
  }

  /**
   * Registers a typed XLA FFI handler, so that programs compiled afterwards may call it with
   * {@code stablehlo.custom_call @target} and {@code api_version = 4}. The handler is native code the caller
   * loaded: a function pointer of type {@code XLA_FFI_Handler*}, kept for the life of the process.
   *
   * @param platform the XLA platform the handler runs on, such as {@code cpu}
   * @throws PjrtException UNIMPLEMENTED when the plugin has no FFI extension, or with the plugin's message when
   *     it refuses the handler (a second, different handler for the same target, an incompatible FFI version)
   */
  public void registerFfiHandler(String target, String platform, long handler) {
    if (target == null || target.isBlank() || platform == null || platform.isBlank()) {
      throw new IllegalArgumentException("an FFI handler needs a target name and a platform, not '" + target + "' and '" + platform + "'");
    }
    if (handler == 0) {
      throw new IllegalArgumentException("FFI handler for " + target + ": the function address is 0");
    }
    PjrtNative.registerFfiHandler(api, target, platform, handler);
  }

  /** How many names {@link #registerFfiHandlerOnce} gives one target: one per copy of its library in a process. */
  private static final int MAX_FFI_NAMES = 16;

  /**
   * Registers {@code handler} as {@link #registerFfiHandler} does, under {@code target} or, where an earlier
   * registration in this process holds that name with another address, under the first of {@code target.2},
   * {@code target.3} ... that is free or already holds this address; returns the name it has. Why: the plugin
   * keeps a handler for the life of the process (this one keeps the first and ignores a second address), and
   * after an update of the bundle that loaded the handler's library its new revision has a copy of that library
   * at another address (a class loader cannot share the first's). Programs must then call the new copy by its
   * own name. The names taken are kept in the process's system properties, under
   * {@code torchtpu.pjrt.ffi <plugin path> <platform> <name>} with the address in hex, so that every class loader
   * (every revision of this bundle too) sees them.
   *
   * @throws IllegalStateException when 16 names are taken by other addresses
   */
  public String registerFfiHandlerOnce(String target, String platform, long handler) {
    synchronized (System.getProperties()) {
      for (int n = 1; n <= MAX_FFI_NAMES; n++) {
        String name = n == 1 ? target : target + "." + n;
        String key = "torchtpu.pjrt.ffi " + path + " " + platform + " " + name;
        String holder = System.getProperty(key);
        if (holder == null) {
          registerFfiHandler(name, platform, handler);
          System.setProperty(key, Long.toHexString(handler));
          return name;
        }
        if (holder.equals(Long.toHexString(handler))) {
          return name;
        }
      }
      throw new IllegalStateException("FFI handler for " + target + " on " + platform + ": " + MAX_FFI_NAMES
          + " names are taken by other copies of it in this process (" + path + ")");
    }
  }

  /** Creates a client with no options. */
  public PjrtClient createClient() {
    return PjrtClient.create(this, Map.of());
  }

  /** Creates a client with plugin-specific named options (e.g. {@code cpu_device_count=4}). */
  public PjrtClient createClient(Map<String, ?> options) {
    return PjrtClient.create(this, options);
  }

  /**
   * Creates a client with {@code variables} set in the process environment while the plugin creates it, and
   * set back afterwards: settings the plugin reads at that moment only and takes as no option, such as XLA
   * CPU's {@code PJRT_NPROC} (the size of the client's thread pool). Variables the process did not have are
   * left set to the empty string, which XLA reads as unset. Creations of this kind in one process run one at
   * a time.
   */
  public PjrtClient createClient(Map<String, ?> options, Map<String, String> variables) {
    synchronized (PjrtPlugin.class) {
      Map<String, String> before = new LinkedHashMap<>();
      try {
        for (Map.Entry<String, String> variable : variables.entrySet()) {
          String name = variableName(variable.getKey());
          String previous = PjrtNative.setEnvironment(name, Objects.requireNonNull(variable.getValue(), name), true);
          before.put(name, previous == null ? "" : previous);
        }
        return PjrtClient.create(this, options);
      } finally {
        before.forEach((name, value) -> PjrtNative.setEnvironment(name, value, true));
      }
    }
  }

  /**
   * A device topology for ahead-of-time compilation without devices (PJRT_TopologyDescription_Create),
   * e.g. libtpu's {@code v5e:2x2}, {@code v4:2x2x1} or {@code tpu7x:2x2x1}. Initializes the plugin first.
   *
   * @param options plugin-specific named options (String, Number, Boolean or long[] values)
   * @throws PjrtException with the plugin's message when it does not know the topology, or
   *     UNIMPLEMENTED when the plugin has no topologies
   */
  public PjrtTopology createTopology(String name, Map<String, ?> options) {
    return PjrtTopology.create(this, name, options);
  }

  long api() {
    return api;
  }

  static Map<String, Object> namedValues(Object[] flat) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < flat.length; i += 2) m.put((String) flat[i], flat[i + 1]);
    return Collections.unmodifiableMap(m);
  }

  @Override
  public String toString() {
    return "PjrtPlugin[" + path + ", PJRT C API " + apiVersion() + "]";
  }
}
