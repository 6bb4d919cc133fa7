// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.SlotConfig;
import java.io.IOException;
import java.net.URL;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * RocksDB's JNI library is copied once per machine and user, not once per JVM: RocksDB's own
 * loader left a 17 MB copy in the temporary directory for every JVM that was killed, and a
 * machine that ran the kill -9 tests many times ran out of disk.
 */
class RocksNativeTest {
    @TempDir Path tmp;

    /** Opens a slot in {@code args[0]} and halts as kill -9 would end it: no shutdown hook, no deleteOnExit. */
    public static final class OpenAndHalt {
        public static void main(String[] args) throws Exception {
            RocksSlotStore.open(SlotConfig.defaults(Path.of(args[0])).withSync(false)).openOrCreateUser("alice");
            System.out.println("opened");
            System.out.flush();
            Runtime.getRuntime().halt(0);
        }
    }

    @Test @Timeout(120)
    void jvmsKilledAfterLoadingRocksDbLeaveOneCopyOfItsLibraryNotOneEach() throws Exception {
        Path jvmTmp = Files.createDirectory(tmp.resolve("java.io.tmpdir"));
        for (int i = 0; i < 2; i++) openAndHalt(jvmTmp, tmp.resolve("slot" + i));

        try (Stream<Path> top = Files.list(jvmTmp)) {
            assertThat(top.map(p -> p.getFileName().toString()))
                    .as("what the killed JVMs left at the top of their temporary directory")
                    .noneMatch(name -> name.startsWith("librocksdbjni"));
        }
        try (Stream<Path> all = Files.walk(jvmTmp)) {
            assertThat(all.filter(p -> p.getFileName().toString().endsWith(".so")).toList())
                    .as("copies of the library for two JVMs").hasSize(1);
        }
    }

    private static void openAndHalt(Path jvmTmp, Path slot) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-Djava.io.tmpdir=" + jvmTmp, "-cp", System.getProperty("java.class.path"),
                OpenAndHalt.class.getName(), slot.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(output).as("the JVM that opened a slot").contains("opened");
    }

    @Test
    void aCompleteCopyIsKeptAndAPartialOneReplaced() throws IOException {
        URL resource = library();
        Path dir = RocksNative.cacheDirectory(tmp, System.getProperty("user.name"), resource);
        Path target = dir.resolve("lib.so");
        Files.write(target, new byte[] {1, 2, 3}); // a copy cut short
        assertThat(RocksNative.copyOnce(resource, target)).as("the partial copy is replaced").isTrue();
        assertThat(Files.size(target)).isEqualTo(resource.openConnection().getContentLengthLong());
        FileTime written = Files.getLastModifiedTime(target);
        assertThat(RocksNative.copyOnce(resource, target)).as("a complete copy is not written again").isFalse();
        assertThat(Files.getLastModifiedTime(target)).isEqualTo(written);
    }

    @Test
    void aStaleTemporaryCopyLeftByAKilledJvmIsRemovedAndAFreshOneKept() throws IOException {
        URL resource = library();
        Path dir = RocksNative.cacheDirectory(tmp, System.getProperty("user.name"), resource);
        Path stale = Files.write(dir.resolve("lib.so123.tmp"), new byte[] {1});
        Files.setLastModifiedTime(stale, FileTime.fromMillis(System.currentTimeMillis() - TimeUnit.HOURS.toMillis(1)));
        Path fresh = Files.write(dir.resolve("lib.so456.tmp"), new byte[] {1}); // another JVM copying right now
        RocksNative.copyOnce(resource, dir.resolve("lib.so"));
        assertThat(stale).doesNotExist();
        assertThat(fresh).exists();
    }

    @Test
    void aLibraryDirectoryOthersMayWriteToIsNotLoadedFrom() throws IOException {
        Path planted = Files.createDirectory(tmp.resolve("cairn-rocksdbjni-" + System.getProperty("user.name")));
        Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> RocksNative.cacheDirectory(tmp, System.getProperty("user.name"), library()))
                .isInstanceOf(AccessDeniedException.class);
    }

    @Test
    void aLibraryDirectoryThatIsASymbolicLinkIsNotLoadedFrom() throws IOException {
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createSymbolicLink(tmp.resolve("cairn-rocksdbjni-" + System.getProperty("user.name")), elsewhere);
        assertThatThrownBy(() -> RocksNative.cacheDirectory(tmp, System.getProperty("user.name"), library()))
                .isInstanceOf(AccessDeniedException.class);
    }

    private static URL library() {
        URL resource = RocksNativeTest.class.getClassLoader().getResource(org.rocksdb.util.Environment.getJniLibraryFileName("rocksdb"));
        assertThat(resource).as("RocksDB's library in its jar").isNotNull();
        return resource;
    }
}
