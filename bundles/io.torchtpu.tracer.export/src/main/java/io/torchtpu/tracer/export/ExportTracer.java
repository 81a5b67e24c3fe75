package io.torchtpu.tracer.export;

import io.torchtpu.api.TraceException;
import io.torchtpu.api.TraceOptions;
import io.torchtpu.api.Tracer;
import io.torchtpu.api.graph.Graph;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Reads torch.export archives ({@code torch.export.save}, PyTorch 2.10) into the graph IR, in pure Java: the
 * archive's JSON documents and raw weight storages only. Pickled entries (the sample inputs) are never read;
 * a weight stored pickled is refused.
 */
@Component(service = Tracer.class, property = Tracer.FORMAT_PROPERTY + "=" + ExportTracer.FORMAT,
        configurationPid = "io.torchtpu.tracer.export")
@Designate(ocd = ExportTracer.Config.class)
public final class ExportTracer implements Tracer {
    static final String FORMAT = "pt2";

    @ObjectClassDefinition(name = "TorchTPU torch.export tracer", description = "Limits checked before a .pt2 archive is read")
    public @interface Config {
        @AttributeDefinition(description = "Zip entries an archive may hold")
        int maxEntries() default 100_000;

        @AttributeDefinition(description = "Bytes of the JSON documents (the serialized program, the payload configs)")
        long maxJsonBytes() default 512L << 20;

        @AttributeDefinition(description = "Nesting depth of the JSON documents")
        int maxJsonDepth() default 256;

        @AttributeDefinition(description = "Sum of the declared sizes of the weights and constants, in bytes")
        long maxTensorBytes() default 64L << 30;
    }

    private volatile ArchiveLimits limits;

    /** With the default limits; DS uses {@link #activate(Config)}. */
    public ExportTracer() {
        this(ArchiveLimits.DEFAULTS);
    }

    ExportTracer(ArchiveLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Activate
    @Modified
    void activate(Config config) {
        limits = new ArchiveLimits(config.maxEntries(), ArchiveLimits.DEFAULTS.maxEntryBytes(), config.maxJsonBytes(),
                config.maxJsonDepth(), config.maxTensorBytes());
    }

    @Override
    public String format() {
        return FORMAT;
    }

    /** A zip whose root folder holds {@code archive_format} saying {@code pt2}. */
    @Override
    public boolean accepts(Path model) {
        if (!Files.isRegularFile(model)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(model)) {
            byte[] magic = in.readNBytes(4);
            if (magic.length < 4 || magic[0] != 'P' || magic[1] != 'K' || magic[2] != 3 || magic[3] != 4) {
                return false;
            }
        } catch (IOException e) {
            return false;
        }
        try (ZipFile zip = new ZipFile(model.toFile())) {
            ZipEntry marker = zip.stream().filter(e -> e.getName().endsWith("/" + Pt2Archive.FORMAT_ENTRY)
                    && e.getName().indexOf('/') == e.getName().length() - Pt2Archive.FORMAT_ENTRY.length() - 1)
                    .findFirst().orElse(null);
            if (marker == null || marker.getSize() > 64) {
                return false;
            }
            try (InputStream in = zip.getInputStream(marker)) {
                return new String(in.readNBytes(64), StandardCharsets.UTF_8).strip().equals("pt2");
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * @throws TraceException naming the file and the entry: a truncated or corrupted archive, paths escaping
     *     its root, an unknown schema or archive version, sizes beyond the limits, a missing weight, dynamic
     *     shapes, control flow, pickled weights
     */
    @Override
    public Graph trace(Path model, TraceOptions options) {
        Objects.requireNonNull(model, "model");
        TraceOptions effective = options == null ? TraceOptions.defaults() : options;
        ArchiveLimits current = limits;
        try (Pt2Archive archive = Pt2Archive.open(model, current)) {
            String modelName = modelName(archive);
            return ProgramReader.read(archive, modelName, graphName(model), effective, current);
        }
    }

    /** The program in {@code models/}: {@code model} as {@code torch.export.save} names it, or the only one there. */
    private static String modelName(Pt2Archive archive) {
        if (archive.exists("models/model.json")) {
            return "model";
        }
        List<String> models = archive.list("models/").stream().filter(n -> n.endsWith(".json")).toList();
        if (models.size() == 1) {
            String name = models.get(0);
            return name.substring("models/".length(), name.length() - ".json".length());
        }
        throw archive.error("models/model.json", models.isEmpty()
                ? "is missing, and models/ holds no other program: the archive has no serialized ExportedProgram"
                : "is missing, and models/ holds several programs " + models + "; this tracer reads the one named model");
    }

    /** The file's stem, made a valid identifier for the program text. */
    private static String graphName(Path model) {
        String file = model.getFileName().toString();
        int dot = file.lastIndexOf('.');
        String stem = dot > 0 ? file.substring(0, dot) : file;
        String name = stem.replaceAll("[^A-Za-z0-9_]", "_");
        return name.isEmpty() || Character.isDigit(name.charAt(0)) ? "m_" + name : name;
    }
}
