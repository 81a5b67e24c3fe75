/*
 * The floor the Java benchmarks are compared with: the same PJRT plugin, the same
 * MLIR program and the same serialized compile options, driven straight from C.
 *
 *   execute_floor PLUGIN.so PROGRAM.mlir OPTIONS.pb [ITERS [MIB [RT_ITERS]]]
 *
 * 1. Execute latency: compiles PROGRAM (two f32[4] parameters), creates its two
 *    input buffers once, then times ITERS (default 100000, after ITERS/10 warm-up)
 *    back-to-back executions, each = Execute + Event_Await + Event_Destroy +
 *    Buffer_Destroy of the output (what the Java benchmark does per operation).
 *    Then times ITERS/10 copies of a 16-byte buffer to the host (ToHostBuffer +
 *    Event_Await), the floor of PjrtBuffer.toHost for a tiny array.
 * 2. Host->device->host round trip of MIB MiB (default 64): BufferFromHostBuffer
 *    (kImmutableOnlyDuringCall, as the bridge) + ToHostBuffer + await + destroy,
 *    and memcpy of the same size between two pre-touched buffers, RT_ITERS times
 *    each (default 20, after 3 warm-up).
 *
 * Prints key=value lines (times in microseconds, rates in GB/s = 1e9 bytes/s; a
 * round trip copies 2 x MIB MiB, so its rate counts both copies).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xla/pjrt/c/pjrt_c_api.h"

#define INIT_ARGS(T, var)      \
  T var;                       \
  memset(&var, 0, sizeof var); \
  var.struct_size = T##_STRUCT_SIZE

static const PJRT_Api *api;

static void check(PJRT_Error *err, const char *what) {
  if (err == NULL) return;
  INIT_ARGS(PJRT_Error_Message_Args, m);
  m.error = err;
  api->PJRT_Error_Message(&m);
  fprintf(stderr, "execute_floor: %s failed: %.*s\n", what, (int)m.message_size, m.message);
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) { perror(path); exit(1); }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "cannot read %s\n", path); exit(1); }
  buf[n] = 0;
  fclose(f);
  *size = (size_t)n;
  return buf;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void await_destroy(PJRT_Event *ev, const char *what) {
  if (ev == NULL) return;
  INIT_ARGS(PJRT_Event_Await_Args, w);
  w.event = ev;
  PJRT_Error *err = api->PJRT_Event_Await(&w);
  INIT_ARGS(PJRT_Event_Destroy_Args, d);
  d.event = ev;
  api->PJRT_Event_Destroy(&d);
  check(err, what);
}

static void buffer_destroy(PJRT_Buffer *b) {
  INIT_ARGS(PJRT_Buffer_Destroy_Args, d);
  d.buffer = b;
  check(api->PJRT_Buffer_Destroy(&d), "PJRT_Buffer_Destroy");
}

static PJRT_Buffer *from_host(PJRT_Client *client, PJRT_Device *dev, const void *data, PJRT_Buffer_Type type,
                              const int64_t *dims, size_t nd) {
  INIT_ARGS(PJRT_Client_BufferFromHostBuffer_Args, a);
  a.client = client;
  a.data = data;
  a.type = type;
  a.dims = dims;
  a.num_dims = nd;
  a.host_buffer_semantics = PJRT_HostBufferSemantics_kImmutableOnlyDuringCall;
  a.device = dev;
  check(api->PJRT_Client_BufferFromHostBuffer(&a), "PJRT_Client_BufferFromHostBuffer");
  await_destroy(a.done_with_host_buffer, "done_with_host_buffer");
  return a.buffer;
}

static void to_host(PJRT_Buffer *b, void *dst, size_t size) {
  INIT_ARGS(PJRT_Buffer_ToHostBuffer_Args, a);
  a.src = b;
  a.dst = dst;
  a.dst_size = size;
  check(api->PJRT_Buffer_ToHostBuffer(&a), "PJRT_Buffer_ToHostBuffer");
  await_destroy(a.event, "the copy to the host");
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s PLUGIN.so PROGRAM.mlir OPTIONS.pb [ITERS [MIB [RT_ITERS]]]\n", argv[0]);
    return 2;
  }
  long iters = argc > 4 ? atol(argv[4]) : 100000;
  long mib = argc > 5 ? atol(argv[5]) : 64;
  long rt_iters = argc > 6 ? atol(argv[6]) : 20;
  if (iters < 100 || mib < 1 || rt_iters < 1) { fprintf(stderr, "bad ITERS/MIB/RT_ITERS\n"); return 2; }

  void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) { fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror()); return 1; }
  const PJRT_Api *(*get)(void) = (const PJRT_Api *(*)(void))dlsym(h, "GetPjrtApi");
  if (get == NULL || (api = get()) == NULL) { fprintf(stderr, "%s: no GetPjrtApi\n", argv[1]); return 1; }
  printf("plugin.api=%d.%d\n", api->pjrt_api_version.major_version, api->pjrt_api_version.minor_version);

  INIT_ARGS(PJRT_Plugin_Initialize_Args, pi);
  check(api->PJRT_Plugin_Initialize(&pi), "PJRT_Plugin_Initialize");
  INIT_ARGS(PJRT_Client_Create_Args, cc);
  check(api->PJRT_Client_Create(&cc), "PJRT_Client_Create");
  PJRT_Client *client = cc.client;
  INIT_ARGS(PJRT_Client_AddressableDevices_Args, ad);
  ad.client = client;
  check(api->PJRT_Client_AddressableDevices(&ad), "PJRT_Client_AddressableDevices");
  if (ad.num_addressable_devices < 1) { fprintf(stderr, "no addressable device\n"); return 1; }
  PJRT_Device *dev = ad.addressable_devices[0];

  /* ---- compile, exactly the bytes the Java side compiles ---- */
  size_t code_size, opt_size;
  char *code = read_file(argv[2], &code_size);
  char *opts = read_file(argv[3], &opt_size);
  INIT_ARGS(PJRT_Program, prog);
  prog.code = code;
  prog.code_size = code_size;
  prog.format = "mlir";
  prog.format_size = 4;
  INIT_ARGS(PJRT_Client_Compile_Args, ca);
  ca.client = client;
  ca.program = &prog;
  ca.compile_options = opts;
  ca.compile_options_size = opt_size;
  check(api->PJRT_Client_Compile(&ca), "PJRT_Client_Compile");
  PJRT_LoadedExecutable *exe = ca.executable;

  /* ---- execute latency ---- */
  float x[4] = {1, 2, 3, 4}, y[4] = {10, 20, 30, 40}, out[4];
  int64_t dims4[1] = {4};
  PJRT_Buffer *args[2] = {from_host(client, dev, x, PJRT_Buffer_Type_F32, dims4, 1),
                          from_host(client, dev, y, PJRT_Buffer_Type_F32, dims4, 1)};
  PJRT_Buffer *const *arg_lists[1] = {args};
  PJRT_Buffer *outs[1];
  PJRT_Buffer **out_lists[1] = {outs};
  PJRT_Event *done[1];
  INIT_ARGS(PJRT_ExecuteOptions, eo);

  long warm = iters / 10;
  uint64_t *t = malloc(sizeof *t * (size_t)iters);
  if (t == NULL) return 1;
  for (long i = -warm; i < iters; i++) {
    uint64_t t0 = now_ns();
    INIT_ARGS(PJRT_LoadedExecutable_Execute_Args, ea);
    ea.executable = exe;
    ea.options = &eo;
    ea.argument_lists = (PJRT_Buffer *const *const *)arg_lists;
    ea.num_devices = 1;
    ea.num_args = 2;
    ea.output_lists = (PJRT_Buffer **const *)out_lists;
    ea.device_complete_events = done;
    check(api->PJRT_LoadedExecutable_Execute(&ea), "PJRT_LoadedExecutable_Execute");
    await_destroy(done[0], "the execution");
    if (i == -warm) to_host(outs[0], out, sizeof out);
    buffer_destroy(outs[0]);
    uint64_t t1 = now_ns();
    if (i >= 0) t[i] = t1 - t0;
  }
  if (out[0] != 11 || out[3] != 44) { fprintf(stderr, "wrong result %g %g\n", out[0], out[3]); return 1; }
  qsort(t, (size_t)iters, sizeof *t, cmp_u64);
  double sum = 0;
  for (long i = 0; i < iters; i++) sum += (double)t[i];
  printf("execute.iters=%ld\n", iters);
  printf("execute.median_us=%.3f\n", t[iters / 2] / 1e3);
  printf("execute.p99_us=%.3f\n", t[(long)(iters * 0.99)] / 1e3);
  printf("execute.mean_us=%.3f\n", sum / iters / 1e3);

  /* ---- a 16-byte device->host copy: ToHostBuffer + Event_Await (the floor of toHost) ---- */
  long th_iters = iters / 10;
  for (long i = -th_iters / 10; i < th_iters; i++) {
    uint64_t t0 = now_ns();
    to_host(args[0], out, sizeof out);
    uint64_t t1 = now_ns();
    if (i >= 0) t[i] = t1 - t0;
  }
  qsort(t, (size_t)th_iters, sizeof *t, cmp_u64);
  printf("tohost16.median_us=%.3f\n", t[th_iters / 2] / 1e3);
  printf("tohost16.p99_us=%.3f\n", t[(long)(th_iters * 0.99)] / 1e3);
  free(t);
  buffer_destroy(args[0]);
  buffer_destroy(args[1]);

  /* ---- 64 MiB round trip and memcpy ---- */
  size_t size = (size_t)mib << 20;
  char *src = malloc(size), *dst = malloc(size);
  if (src == NULL || dst == NULL) return 1;
  for (size_t i = 0; i < size; i++) src[i] = (char)(i * 31 + 7);
  memset(dst, 0, size);
  int64_t dims1[1] = {(int64_t)size};
  uint64_t *rt = malloc(sizeof *rt * (size_t)rt_iters), *mc = malloc(sizeof *mc * (size_t)rt_iters);
  uint64_t *h2d = malloc(sizeof *h2d * (size_t)rt_iters), *d2h = malloc(sizeof *d2h * (size_t)rt_iters);
  if (rt == NULL || mc == NULL || h2d == NULL || d2h == NULL) return 1;
  for (long i = -3; i < rt_iters; i++) {
    uint64_t t0 = now_ns();
    memcpy(dst, src, size);
    uint64_t t1 = now_ns();
    __asm__ volatile("" : : "r"(dst) : "memory");
    PJRT_Buffer *b = from_host(client, dev, src, PJRT_Buffer_Type_U8, dims1, 1);
    uint64_t th = now_ns();
    to_host(b, dst, size);
    uint64_t td = now_ns();
    buffer_destroy(b);
    uint64_t t2 = now_ns();
    if (i >= 0) { mc[i] = t1 - t0; rt[i] = t2 - t1; h2d[i] = th - t1; d2h[i] = td - th; }
  }
  if (memcmp(src, dst, size) != 0) { fprintf(stderr, "round trip corrupted the data\n"); return 1; }
  qsort(rt, (size_t)rt_iters, sizeof *rt, cmp_u64);
  qsort(mc, (size_t)rt_iters, sizeof *mc, cmp_u64);
  qsort(h2d, (size_t)rt_iters, sizeof *h2d, cmp_u64);
  qsort(d2h, (size_t)rt_iters, sizeof *d2h, cmp_u64);
  double rt_s = rt[rt_iters / 2] / 1e9, mc_s = mc[rt_iters / 2] / 1e9;
  printf("roundtrip.mib=%ld\n", mib);
  printf("roundtrip.median_ms=%.3f\n", rt_s * 1e3);
  printf("roundtrip.gbps=%.3f\n", 2.0 * (double)size / rt_s / 1e9);
  printf("roundtrip.h2d_median_ms=%.3f\n", h2d[rt_iters / 2] / 1e6);
  printf("roundtrip.d2h_median_ms=%.3f\n", d2h[rt_iters / 2] / 1e6);
  printf("memcpy.median_ms=%.3f\n", mc_s * 1e3);
  printf("memcpy.gbps=%.3f\n", (double)size / mc_s / 1e9);

  INIT_ARGS(PJRT_LoadedExecutable_Destroy_Args, ld);
  ld.executable = exe;
  check(api->PJRT_LoadedExecutable_Destroy(&ld), "PJRT_LoadedExecutable_Destroy");
  INIT_ARGS(PJRT_Client_Destroy_Args, cd);
  cd.client = client;
  check(api->PJRT_Client_Destroy(&cd), "PJRT_Client_Destroy");
  free(src);
  free(dst);
  free(rt);
  free(mc);
  free(h2d);
  free(d2h);
  free(code);
  free(opts);
  return 0;
}
