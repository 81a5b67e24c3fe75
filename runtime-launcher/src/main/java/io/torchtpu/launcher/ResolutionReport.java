package io.torchtpu.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the framework's resolver message into one plain sentence: which bundle needs what, and that
 * nothing installed provides it. The framework nests causes; the innermost one is the real gap.
 */
final class ResolutionReport {
    private static final Pattern MISSING = Pattern.compile(
            "missing requirement \\[([^\\]\\[]+?) \\[\\d+\\](?:\\([^)]*\\))?\\] ([\\w.]+); (.+?)(?= \\[caused by: | Unresolved requirements|\\]*$)");
    private static final Pattern VALUE = Pattern.compile("\\((%s)=([^)]+)\\)");
    private static final Pattern LOWER = Pattern.compile("(?<!!)\\(version>=([^)]+)\\)");
    private static final Pattern UPPER = Pattern.compile("\\(!\\(version>=([^)]+)\\)\\)");

    private ResolutionReport() {
    }

    /** One line for a resolution failure, or the message as given when it is not one. */
    static String explain(String frameworkMessage) {
        if (frameworkMessage == null) {
            return "the framework gave no reason";
        }
        Matcher matcher = MISSING.matcher(frameworkMessage);
        List<String[]> gaps = new ArrayList<>();
        while (matcher.find()) {
            gaps.add(new String[] {matcher.group(1), matcher.group(2), matcher.group(3)});
        }
        if (gaps.isEmpty()) {
            return frameworkMessage;
        }
        String[] innermost = gaps.get(gaps.size() - 1);
        return innermost[0] + " needs " + describe(innermost[1], innermost[2]) + ", and no installed bundle provides it";
    }

    static String describe(String namespace, String filter) {
        return switch (namespace) {
            case "osgi.wiring.package" -> "package " + value(filter, "osgi.wiring.package") + versionRange(filter);
            case "osgi.wiring.bundle" -> "bundle " + value(filter, "osgi.wiring.bundle") + versionRange(filter);
            case "osgi.wiring.host" -> "host bundle " + value(filter, "osgi.wiring.host") + versionRange(filter);
            case "osgi.identity" -> "bundle " + value(filter, "osgi.identity") + versionRange(filter);
            case "osgi.extender" -> "the extender " + value(filter, "osgi.extender") + versionRange(filter)
                    + (filter.contains("osgi.component") ? " (Declarative Services: add the core feature)" : "");
            case "osgi.service" -> "a service " + value(filter, "objectClass");
            case "osgi.ee" -> "the execution environment " + filter;
            default -> "the capability " + namespace + " " + filter;
        };
    }

    private static String value(String filter, String attribute) {
        Matcher matcher = Pattern.compile(String.format(VALUE.pattern(), Pattern.quote(attribute))).matcher(filter);
        return matcher.find() ? matcher.group(2) : filter;
    }

    private static String versionRange(String filter) {
        Matcher lower = LOWER.matcher(filter);
        Matcher upper = UPPER.matcher(filter);
        boolean hasLower = lower.find();
        boolean hasUpper = upper.find();
        if (!hasLower && !hasUpper) {
            return "";
        }
        return " version [" + (hasLower ? lower.group(1) : "0") + "," + (hasUpper ? upper.group(1) + ")" : "∞)");
    }
}
