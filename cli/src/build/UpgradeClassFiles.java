import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Build step of the launcher's start-up cache (cli/pom.xml, docs/performance.md "CLI start-up"),
 * run by the JDK's source launcher: {@code java UpgradeClassFiles.java JAR}. Rewrites the class
 * files of JAR older than version 50 (Java 6) as version 52 with stack maps, in place. Picocli is
 * compiled for Java 5, and the JDK's AOT cache leaves such "old" classes out (they need the old
 * type-inferring verifier), so every vmtree process loaded and verified its 180 classes from the
 * jar. The instructions stay as they are; only the version and the StackMapTable the new verifier
 * needs change, and every rewritten class is checked with the JDK's own verifier before the jar is
 * replaced.
 */
public final class UpgradeClassFiles {
    private static final int TARGET = ClassFile.JAVA_8_VERSION;

    public static void main(String[] args) throws IOException {
        Path jar = Path.of(args[0]);
        Path tmp = jar.resolveSibling(jar.getFileName() + ".upgraded");
        int upgraded = 0;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            // stack maps name the common supertype of two types: JDK types from the JDK, the jar's own from the jar
            ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                            .orElse(ClassHierarchyResolver.ofResourceParsing(loader))));
            ClassTransform version = (builder, element) -> {
                if (element instanceof ClassFileVersion) {
                    builder.withVersion(TARGET, 0);
                } else {
                    builder.with(element);
                }
            };
            // rebuilding every method body is what makes the API compute the stack maps
            ClassTransform upgrade = version.andThen(ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL));
            try (InputStream in = Files.newInputStream(jar); ZipInputStream zin = new ZipInputStream(in);
                 OutputStream out = Files.newOutputStream(tmp); ZipOutputStream zout = new ZipOutputStream(out)) {
                for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
                    byte[] bytes = zin.readAllBytes();
                    if (e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/")) {
                        ClassModel model = cf.parse(bytes);
                        if (model.majorVersion() < ClassFile.JAVA_6_VERSION) {
                            bytes = cf.transformClass(model, upgrade);
                            List<VerifyError> errors = cf.verify(bytes);
                            if (!errors.isEmpty()) {
                                throw new IOException(e.getName() + " does not verify after the upgrade: "
                                        + errors.getFirst().getMessage());
                            }
                            upgraded++;
                        }
                    }
                    ZipEntry copy = new ZipEntry(e.getName());
                    copy.setTime(e.getTime());
                    zout.putNextEntry(copy);
                    zout.write(bytes);
                    zout.closeEntry();
                }
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("UpgradeClassFiles: " + upgraded + " classes of " + jar.getFileName() + " now version "
                + TARGET);
    }
}
