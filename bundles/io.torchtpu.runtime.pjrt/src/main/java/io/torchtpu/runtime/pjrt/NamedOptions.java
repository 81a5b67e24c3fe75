package io.torchtpu.runtime.pjrt;

import java.util.Map;

/**
 * Options for a PJRT create call (a client, a topology) as the JNI bridge takes them: parallel arrays of names
 * and values, checked here so that nothing the native side cannot convert crosses JNI.
 */
record NamedOptions(String[] names, Object[] values) {

  /**
     * {@code options} (null for none) as arrays; a value must be a String, Number, Boolean or long[].
     *
     * @param what what the options are for, in messages ("client", "topology")
     */
  static NamedOptions of(Map<String, ?> options, String what) {
    Map<String, ?> given = options == null ? Map.of() : options;
    String[] names = new String[given.size()];
    Object[] values = new Object[given.size()];
    int i = 0;
    for (Map.Entry<String, ?> e : given.entrySet()) {
      Object v = e.getValue();
      if (e.getKey() == null) {
        throw new IllegalArgumentException(what + " option with a null name");
      }
      if (!(v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof long[])) {
        throw new IllegalArgumentException(what + " option " + e.getKey() + " must be a String, Number, Boolean or"
            + " long[], got " + (v == null ? "null" : v.getClass().getName()));
      }
      names[i] = e.getKey();
      values[i++] = v;
    }
    return new NamedOptions(names, values);
  }
}
