package io.torchtpu.runtime.pjrt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Checks, before dlopen, that a 64-bit little-endian ELF file holds every byte its headers point at. The
 * dynamic loader maps segments without comparing them with the file's size, so a truncated plugin would
 * kill the JVM with SIGBUS on its first touch of a missing page instead of failing the load.
 * Files that are not such ELF files are left to dlopen, which refuses them with its own message.
 */
final class SharedLibraryCheck {
  private static final int ELF_HEADER_BYTES = 64;
  private static final int MAX_PROGRAM_HEADERS = 4096;

  private SharedLibraryCheck() {}

  static void requireComplete(Path file) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = channel.size();
      ByteBuffer header = read(channel, 0, (int) Math.min(ELF_HEADER_BYTES, size));
      if (header.limit() < 6 || header.get(0) != 0x7F || header.get(1) != 'E' || header.get(2) != 'L'
          || header.get(3) != 'F' || header.get(4) != 2 || header.get(5) != 1) {
        return;
      }
      if (header.limit() < ELF_HEADER_BYTES) {
        throw truncated(file, "its ELF header", ELF_HEADER_BYTES, size);
      }
      long programHeaders = header.getLong(32);
      long sectionHeaders = header.getLong(40);
      int programHeaderSize = header.getShort(54) & 0xFFFF;
      int programHeaderCount = header.getShort(56) & 0xFFFF;
      int sectionHeaderSize = header.getShort(58) & 0xFFFF;
      int sectionHeaderCount = header.getShort(60) & 0xFFFF;
      if (programHeaderCount > MAX_PROGRAM_HEADERS || programHeaderSize < 56) {
        throw new PjrtPluginLoadException("PJRT plugin " + file + " is corrupted: " + programHeaderCount
            + " program headers of " + programHeaderSize + " bytes; refusing to load it");
      }
      long tableEnd = programHeaders + (long) programHeaderCount * programHeaderSize;
      if (programHeaders < 0 || tableEnd > size) {
        throw truncated(file, "its program header table", tableEnd, size);
      }
      ByteBuffer table = read(channel, programHeaders, (int) (tableEnd - programHeaders));
      for (int i = 0; i < programHeaderCount; i++) {
        int at = i * programHeaderSize;
        long offset = table.getLong(at + 8);
        long fileSize = table.getLong(at + 32);
        if (offset < 0 || fileSize < 0 || offset + fileSize > size || offset + fileSize < 0) {
          throw truncated(file, "its segment " + i + " (bytes " + offset + ".." + (offset + fileSize) + ")",
              offset + fileSize, size);
        }
      }
      long sectionsEnd = sectionHeaders + (long) sectionHeaderCount * sectionHeaderSize;
      if (sectionHeaders != 0 && (sectionHeaders < 0 || sectionsEnd > size)) {
        throw truncated(file, "its section header table", sectionsEnd, size);
      }
    } catch (IOException e) {
      throw new PjrtPluginLoadException("cannot read PJRT plugin " + file + ": " + e.getMessage(), e);
    }
  }

  private static ByteBuffer read(FileChannel channel, long position, int count) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(count).order(ByteOrder.LITTLE_ENDIAN);
    while (buffer.hasRemaining() && channel.read(buffer, position + buffer.position()) >= 0) {
      // keep reading until full or at the end of the file
    }
    return buffer.flip();
  }

  private static PjrtPluginLoadException truncated(Path file, String what, long needed, long size) {
    return new PjrtPluginLoadException("PJRT plugin " + file + " is truncated or corrupted: " + what + " needs "
        + needed + " bytes but the file has " + size + "; refusing to load it (the dynamic loader would crash the "
        + "process); fetch the plugin again, for the XLA CPU plugin with " + PjrtPlugin.CPU_FETCH_SCRIPT);
  }
}
