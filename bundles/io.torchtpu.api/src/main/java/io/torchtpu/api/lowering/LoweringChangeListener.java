package io.torchtpu.api.lowering;

import java.util.Set;

/**
 * Whiteboard listener: the registry calls every service of this type when the lowering or decomposition
 * that wins for some ops changes (one appears, is modified, or goes away), so that compiled programs that
 * used those ops can be dropped. Called after the registry's state has changed, never with the registry's
 * lock held.
 */
@FunctionalInterface
public interface LoweringChangeListener {

    /** @param ops the ATen overload names whose winning provider may have changed */
    void loweringsChanged(Set<String> ops);
}
