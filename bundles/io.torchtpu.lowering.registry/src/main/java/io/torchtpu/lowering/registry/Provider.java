package io.torchtpu.lowering.registry;

import io.torchtpu.api.lowering.Lowering;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * One registered lowering or decomposition with the facts that rank it.
 *
 * @param id the service id: among equal rankings the lower (older) id wins, as in OSGi
 * @param origin who provided it, for messages and the coverage report: the bundle's symbolic name
 * @param version the providing bundle's version, for the coverage report; empty when unknown
 */
public record Provider<S>(S service, List<String> ops, String backend, int ranking, long id, String origin, String version) {
    /** The overload suffix PyTorch's Python API gives ops whose schema has no overload name. */
    private static final String DEFAULT_OVERLOAD = ".default";

    public Provider {
        // aten::gelu.default (torch.ops.aten.gelu.default, as torch.export prints it) is aten::gelu in a schema
        // and in graphs; accepting both spellings spares a vendor a lowering that silently never matches.
        ops = ops.stream().map(Provider::schemaName).toList();
        version = version == null ? "" : version;
    }

    public Provider(S service, List<String> ops, String backend, int ranking, long id, String origin) {
        this(service, ops, backend, ranking, id, origin, "");
    }

    /** {@code aten::gelu.default} as {@code aten::gelu}; every other name unchanged. */
    static String schemaName(String op) {
        return op.endsWith(DEFAULT_OVERLOAD) ? op.substring(0, op.length() - DEFAULT_OVERLOAD.length()) : op;
    }

    /** Reads {@code torchtpu.op}, {@code torchtpu.backend} and {@code service.ranking} from service properties. */
    public static <S> Provider<S> of(S service, Map<String, ?> properties, long id, String origin) {
        return of(service, properties, id, origin, "");
    }

    /** As {@link #of(Object, Map, long, String)}, with the providing bundle's version. */
    public static <S> Provider<S> of(S service, Map<String, ?> properties, long id, String origin, String version) {
        Object ops = properties.get(Lowering.OP_PROPERTY);
        List<String> names = new ArrayList<>();
        if (ops instanceof String single) {
            names.add(single);
        } else if (ops instanceof String[] many) {
            names.addAll(List.of(many));
        } else if (ops instanceof Collection<?> many) {
            many.forEach(o -> names.add(o.toString()));
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException(origin + ": service " + id + " has no " + Lowering.OP_PROPERTY + " property");
        }
        Object backend = properties.get(Lowering.BACKEND_PROPERTY);
        Object ranking = properties.get("service.ranking");
        return new Provider<>(service, names, backend == null ? null : backend.toString(),
                ranking instanceof Integer r ? r : 0, id, origin, version);
    }

    /** Whether this provider applies when lowering for {@code backendId} (null: only generic providers apply). */
    boolean appliesTo(String backendId) {
        return backend == null || backend.equals(backendId);
    }

    /** {@code bundle/ranking}, as the lowered module's provider map shows it. */
    String describe() {
        return origin + "/" + ranking + (backend == null ? "" : "@" + backend);
    }
}
