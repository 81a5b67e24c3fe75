package io.torchtpu.runtime.pjrt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.torchtpu.api.DeviceBuffer;
import io.torchtpu.api.Executable;
import io.torchtpu.api.HostTensor;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two real XLA CPU clients, the second with a thread pool of one, whose runtime runs programs on the first one's
 * buffers in place (PjrtRuntime.sharingBuffersOf): the CPU backend's smaller pool.
 */
class PjrtSharedBuffersTest {
  private static final HostTensor LHS = HostTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
  private static final HostTensor RHS = HostTensor.ofFloats(new float[] {1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1}, 3, 4);
  private static final float[] PRODUCT = {1, 2, 3, 6, 4, 5, 6, 15};

  private PjrtRuntime owner;
  private PjrtRuntime shared;

  @BeforeEach
  void start() {
    PjrtPlugin plugin = PjrtTestSupport.plugin();
    owner = new PjrtRuntime(plugin.createClient(Map.of("asynchronous", false)));
    shared = PjrtRuntime.sharingBuffersOf(owner,
        plugin.createClient(Map.of("asynchronous", false), Map.of("PJRT_NPROC", "1")));
  }

  @AfterEach
  void stop() {
    shared.close();
    owner.close();
  }

  @Test
  void aVariableSetForOneClientCreationIsSetBackAfterIt() {
    String name = "TORCHTPU_PJRT_SHARED_TEST_" + ProcessHandle.current().pid();
    assertNull(PjrtPlugin.environmentInEffect(name));
    PjrtPlugin plugin = PjrtTestSupport.plugin();
    plugin.createClient(Map.of(), Map.of(name, "7")).close();
    assertEquals("", PjrtPlugin.environmentInEffect(name), "an unset variable is left empty, which XLA reads as unset");
    PjrtPlugin.setEnvironmentDefaults(Map.of(name + "_SET", "kept"));
    plugin.createClient(Map.of(), Map.of(name + "_SET", "changed")).close();
    assertEquals("kept", PjrtPlugin.environmentInEffect(name + "_SET"));
    assertThrows(IllegalArgumentException.class, () -> plugin.createClient(Map.of(), Map.of("A=B", "1")));
  }

  @Test
  void theSecondClientRunsOnTheFirstClientsBuffersInPlace() {
    try (Executable onOwner = owner.compile(Programs.MATMUL, Map.of());
        Executable onShared = shared.compile(Programs.MATMUL, Map.of());
        DeviceBuffer lhs = shared.upload(LHS);
        DeviceBuffer rhs = owner.upload(RHS)) {
      // the shared runtime's uploads are the owner's: both executables take both buffers
      assertArrayEquals(PRODUCT, onOwner.run(List.of(), List.of(lhs, rhs)).get(0).toFloatArray());
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(PRODUCT, onShared.run(List.of(), List.of(lhs, rhs)).get(0).toFloatArray());
      }
      assertArrayEquals(PRODUCT, onShared.run(List.of(LHS), List.of(rhs)).get(0).toFloatArray());
      // deserialized on the second client, it still reads the owner's buffers
      try (Executable again = shared.deserialize(onShared.serialize())) {
        assertArrayEquals(PRODUCT, again.run(List.of(), List.of(lhs, rhs)).get(0).toFloatArray());
      }
    }
  }

  @Test
  void theViewAliasesTheOwnersMemory() {
    try (PjrtBuffer buffer = owner.client().bufferFromHost(LHS.data().duplicate(), PjrtElementType.F32, 2, 3)) {
      ByteBuffer memory = buffer.hostView();
      assertNotNull(memory, "the XLA CPU plugin keeps a dense buffer in host memory");
      assertEquals(24, memory.remaining());
      assertEquals(5f, memory.getFloat(4 * 4));
      try (PjrtBuffer view = shared.client().bufferFromHostZeroCopy(memory, PjrtElementType.F32, new long[] {2, 3}, null)) {
        assertTrue(view.aliasesHost(), "aliased, not copied");
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, view.toFloatArray());
      }
    }
  }

  @Test
  void aBufferOfAnotherRuntimeIsRefusedAndAClosedOneSaysSo() {
    try (PjrtRuntime stranger = new PjrtRuntime(PjrtTestSupport.plugin().createClient(Map.of("asynchronous", false)));
        Executable onShared = shared.compile(Programs.MATMUL, Map.of());
        DeviceBuffer foreign = stranger.upload(RHS)) {
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> onShared.run(List.of(LHS), List.of(foreign)));
      assertTrue(refused.getMessage().contains("argument 1: a device buffer must come from upload()"), refused.getMessage());
      DeviceBuffer rhs = owner.upload(RHS);
      assertArrayEquals(PRODUCT, onShared.run(List.of(LHS), List.of(rhs)).get(0).toFloatArray());
      rhs.close();
      IllegalStateException closed = assertThrows(IllegalStateException.class, () -> onShared.run(List.of(LHS), List.of(rhs)));
      assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
      // nothing else broke
      try (DeviceBuffer again = owner.upload(RHS)) {
        assertArrayEquals(PRODUCT, onShared.run(List.of(LHS), List.of(again)).get(0).toFloatArray());
      }
    }
  }

  @Test
  void closingTheSecondClientLeavesTheOwnersBuffersWhole() {
    try (Executable onOwner = owner.compile(Programs.MATMUL, Map.of()); DeviceBuffer rhs = owner.upload(RHS)) {
      try (Executable onShared = shared.compile(Programs.MATMUL, Map.of())) {
        assertArrayEquals(PRODUCT, onShared.run(List.of(LHS), List.of(rhs)).get(0).toFloatArray());
      }
      shared.close(); // the view of rhs goes with its client
      assertArrayEquals(PRODUCT, onOwner.run(List.of(LHS), List.of(rhs)).get(0).toFloatArray());
      assertArrayEquals(RHS.toFloatArray(), rhs.toHost().toFloatArray());
    }
  }

  @Test
  void runsOnManyThreadsWhileBuffersComeAndGo() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try (Executable onShared = shared.compile(Programs.MATMUL, Map.of()); DeviceBuffer rhs = owner.upload(RHS)) {
      List<Future<Boolean>> runs = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        runs.add(threads.submit(() -> {
          for (int i = 0; i < 50; i++) {
            if (!java.util.Arrays.equals(PRODUCT, onShared.run(List.of(LHS), List.of(rhs)).get(0).toFloatArray())) {
              return false;
            }
            try (DeviceBuffer own = owner.upload(RHS)) {
              if (!java.util.Arrays.equals(PRODUCT, onShared.run(List.of(LHS), List.of(own)).get(0).toFloatArray())) {
                return false;
              }
            }
          }
          return true;
        }));
      }
      for (Future<Boolean> run : runs) {
        assertTrue(run.get(), "every run computed the product");
      }
    } finally {
      threads.shutdownNow();
    }
    assertFalse(owner.client().isClosed());
  }
}
