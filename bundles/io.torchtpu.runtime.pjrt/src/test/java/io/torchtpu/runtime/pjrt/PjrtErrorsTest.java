package io.torchtpu.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PjrtErrorsTest {
  static PjrtClient client;
  static PjrtLoadedExecutable add;

  @BeforeAll
  static void open() {
    client = PjrtTestSupport.plugin().createClient();
    add = client.compile(Programs.ADD_F32_4);
  }

  @AfterAll
  static void close() {
    if (client != null) client.close();
  }

  /** After every failure the next valid call still works. */
  @AfterEach
  void nextValidCallWorks() {
    PjrtPluginTest.assertStillWorks();
    try (PjrtBuffer a = client.buffer(new float[] {1, 1, 1, 1}, 4); PjrtBuffer r = add.execute(a, a)[0]) {
      assertEquals(2f, r.toFloatArray()[3]);
    }
  }

  @Test
  void invalidMlirCarriesThePluginDiagnosticWithLineAndColumn() {
    PjrtException e = assertThrows(PjrtException.class, () -> client.compile(Programs.INVALID));
    assertTrue(e.code() > 0, e.getMessage());
    assertTrue(Pattern.compile("\\b3:\\d+").matcher(e.getMessage()).find(), e.getMessage());
    assertTrue(e.getMessage().contains("not_an_op"), e.getMessage());
  }

  @Test
  void typeErrorInMlirIsAPjrtException() {
    PjrtException e = assertThrows(PjrtException.class, () -> client.compile(Programs.TYPE_ERROR));
    assertTrue(Pattern.compile("\\d+:\\d+").matcher(e.getMessage()).find(), e.getMessage());
  }

  @Test
  void emptyProgramIsRefusedInJava() {
    assertThrows(IllegalArgumentException.class, () -> client.compile("  "));
    assertThrows(NullPointerException.class, () -> client.compile(Programs.ADD_F32_4, null));
  }

  @Test
  void wrongArgumentCount() {
    try (PjrtBuffer a = client.buffer(new float[] {1, 2, 3, 4}, 4)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> add.execute(a));
      assertTrue(e.getMessage().contains("expects 2 argument(s)") && e.getMessage().contains("got 1"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> add.execute(a, a, a));
    }
  }

  @Test
  void wrongArgumentTypeAndShape() {
    try (PjrtBuffer ok = client.buffer(new float[] {1, 2, 3, 4}, 4);
         PjrtBuffer ints = client.buffer(new int[] {1, 2, 3, 4}, 4);
         PjrtBuffer shorter = client.buffer(new float[] {1, 2, 3}, 3);
         PjrtBuffer matrix = client.buffer(new float[] {1, 2, 3, 4}, 2, 2)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> add.execute(ok, ints));
      assertTrue(e.getMessage().contains("argument 1") && e.getMessage().contains("expected tensor<4xf32>")
          && e.getMessage().contains("got tensor<4xi32>"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> add.execute(shorter, ok));
      assertTrue(e.getMessage().contains("argument 0") && e.getMessage().contains("tensor<3xf32>"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> add.execute(ok, matrix));
      assertTrue(e.getMessage().contains("tensor<2x2xf32>"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> add.execute(ok, null));
      assertTrue(e.getMessage().contains("argument 1 is null"), e.getMessage());
    }
  }

  @Test
  void hostDataOfTheWrongSize() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> client.bufferFromHost(ByteBuffer.allocateDirect(12), PjrtElementType.F32, 4));
    assertTrue(e.getMessage().contains("12 bytes") && e.getMessage().contains("16"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> client.bufferFromHost(ByteBuffer.allocateDirect(16), PjrtElementType.F32, -4));
  }

  @Test
  void closedBufferIsAClearError() {
    PjrtBuffer a = client.buffer(new float[] {1, 2, 3, 4}, 4);
    try (PjrtBuffer b = client.buffer(new float[] {1, 2, 3, 4}, 4)) {
      a.close();
      a.close(); // idempotent
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> add.execute(a, b));
      assertTrue(e.getMessage().contains("argument 0") && e.getMessage().contains("PjrtBuffer")
          && e.getMessage().contains("closed"), e.getMessage());
      e = assertThrows(IllegalStateException.class, a::toFloatArray);
      assertTrue(e.getMessage().contains("PjrtBuffer") && e.getMessage().contains("closed"), e.getMessage());
    }
  }

  @Test
  void closedExecutableIsAClearError() {
    PjrtLoadedExecutable exe = client.compile(Programs.ADD_F32_4);
    exe.close();
    try (PjrtBuffer a = client.buffer(new float[] {1, 2, 3, 4}, 4)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> exe.execute(a, a));
      assertTrue(e.getMessage().contains("PjrtLoadedExecutable") && e.getMessage().contains("closed"), e.getMessage());
      assertThrows(IllegalStateException.class, exe::serialize);
    }
  }

  @Test
  void closedClientClosesItsObjectsAndRefusesNewWork() {
    PjrtClient other = PjrtTestSupport.plugin().createClient();
    PjrtLoadedExecutable exe = other.compile(Programs.ADD_F32_4);
    PjrtBuffer a = other.buffer(new float[] {1, 2, 3, 4}, 4);
    other.close();
    other.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> other.compile(Programs.ADD_F32_4));
    assertTrue(e.getMessage().contains("PjrtClient") && e.getMessage().contains("closed"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> other.buffer(new float[] {1, 2, 3, 4}, 4));
    e = assertThrows(IllegalStateException.class, a::toFloatArray);
    assertTrue(e.getMessage().contains("PjrtBuffer") && e.getMessage().contains("closed"), e.getMessage());
    e = assertThrows(IllegalStateException.class, () -> exe.execute(a, a));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    a.close();
    exe.close();
  }

  @Test
  void bufferOfAnotherClientIsRefused() {
    try (PjrtClient other = PjrtTestSupport.plugin().createClient();
         PjrtBuffer foreign = other.buffer(new float[] {1, 2, 3, 4}, 4);
         PjrtBuffer mine = client.buffer(new float[] {1, 2, 3, 4}, 4)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> add.execute(mine, foreign));
      assertTrue(e.getMessage().contains("argument 1") && e.getMessage().contains("another client"), e.getMessage());
    }
  }

  @Test
  void garbageSerializedExecutable() {
    assertThrows(PjrtException.class, () -> client.deserialize(new byte[] {1, 2, 3, 4, 5}));
    assertThrows(IllegalArgumentException.class,
        () -> client.deserialize(new byte[] {'T', 'T', 'P', 'J', 'R', 'T', 'X', '1', 0}));
  }

  @Test
  void interruptedWaitIsCancelledAndKeepsTheInterruptFlag() {
    try (PjrtBuffer a = client.buffer(new float[] {1, 2, 3, 4}, 4); PjrtBuffer r = add.execute(a, a)[0]) {
      Thread.currentThread().interrupt();
      try {
        // the copy may be ready at once; if it is not, the wait must end with CANCELLED
        try {
          r.toFloatArray();
        } catch (PjrtException e) {
          assertEquals(PjrtErrorCode.CANCELLED, e.errorCode());
        }
        assertTrue(Thread.currentThread().isInterrupted());
      } finally {
        Thread.interrupted();
      }
    }
  }
}
