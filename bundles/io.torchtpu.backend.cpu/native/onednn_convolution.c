/*
 * An XLA FFI handler that runs one stablehlo.convolution with oneDNN, for the XLA CPU plugin.
 *
 * Why: on narrow layers (16-64 channels) XLA's CPU convolution kernels, Eigen's and YNNPACK's alike, ran
 * ResNet-18's 3x3 convolutions at half the speed of oneDNN's (torchtpu bench, 2 cores). The CPU backend
 * rewrites a program's convolutions into calls of this handler (OneDnnConvolutions.java) and keeps the
 * rewritten program only where it measures faster.
 *
 * The call: operands lhs, rhs, optionally a bias (one per output feature) and then optionally a residual (of
 * the result's shape and layout, added after the bias), one result, all f32, with the physical layouts the rewrite fixed (operand_layouts / result_layouts) repeated as attributes, so that any
 * layout XLA is told to use is one this handler reads correctly. Attributes (all i64):
 *   lhs_dims [batch, feature, spatial...]   positions of those dimensions in the lhs shape
 *   rhs_dims [output feature, input feature, spatial...]
 *   out_dims [batch, feature, spatial...]
 *   lhs_layout, rhs_layout, out_layout      minor-to-major orders
 *   window_strides, padding_low, padding_high, rhs_dilation   one per spatial dimension
 *   feature_group_count                     a scalar
 *   relu                                    a scalar, 1 to apply ReLU last (optional, default 0)
 *
 * Each distinct convolution gets one oneDNN primitive, made on its first run and kept for the process: a
 * primitive is just-in-time compiled code, costly to make and cheap to run.
 *
 * Threads: a call splits its batch into one slice per thread that can run at once (the workers of XLA's own pool,
 * the FFI thread pool, and the calling thread, at most one per CPU), or the rows of its first spatial dimension at
 * batch 1, and runs each slice single-threaded, the calling thread taking slices too. Why: oneDNN's OpenMP threads are a second
 * pool beside XLA's; under OMP_WAIT_POLICY=PASSIVE (the launcher's default, for libtorch's sake) every call
 * woke them from sleep, which cost 40-50 us a call and made ResNet-18's convolutions 1.3-5x slower than the same
 * primitives in a loop (batch 1: 0.076 ms against 0.008 ms single-threaded). Single-threaded slices of half
 * the batch run as fast as the whole batch on two spinning OpenMP threads. Scratchpads are the caller's
 * (oneDNN's user mode), one per thread, so that any thread may run any primitive.
 */
#include <dlfcn.h>
#include <jni.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xla/ffi/api/c_api.h"

#define EXPORT __attribute__((visibility("default")))
#define MAX_SPATIAL 3
#define MAX_RANK (MAX_SPATIAL + 2)

/* Everything that identifies a primitive; zero-filled before use so that memcmp compares it. */
typedef struct {
  int spatial;
  int weight_rank;
  int has_bias;
  int has_residual;
  int relu;
  /* oneDNN's fixed-size dims arrays, though a convolution uses at most MAX_RANK + 1 entries of each */
  dnnl_dims_t src_dims, src_strides, weight_dims, weight_strides, dst_dims, dst_strides;
  dnnl_dims_t strides, dilation, pad_low, pad_high;
} conv_key;

typedef struct cached_primitive {
  conv_key key;
  dnnl_primitive_t primitive;
  dnnl_memory_desc_t src, weights, bias, dst, scratchpad;
  size_t scratchpad_bytes;
  struct cached_primitive *next;
} cached_primitive;

/* OpenMP's per-thread thread count (libgomp, which oneDNN already loads): 1 while a slice runs */
extern int omp_get_max_threads(void);
extern void omp_set_num_threads(int count);

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cached_primitive *cache_head;
static dnnl_engine_t engine;
static dnnl_status_t engine_status = dnnl_success;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

/* What each thread that runs slices keeps: its oneDNN stream and scratchpad, freed when the thread ends. */
typedef struct {
  dnnl_stream_t stream;
  void *scratchpad;
  size_t scratchpad_bytes;
} thread_state;

static pthread_key_t thread_state_key;

static void free_thread_state(void *pointer) {
  thread_state *state = pointer;
  if (state->stream != NULL) dnnl_stream_destroy(state->stream);
  free(state->scratchpad);
  free(state);
}

static void create_engine(void) {
  engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0);
  if (engine_status == dnnl_success && pthread_key_create(&thread_state_key, free_thread_state) != 0) {
    engine_status = dnnl_out_of_memory;
  }
}

static XLA_FFI_Error *failure(const XLA_FFI_CallFrame *frame, XLA_FFI_Error_Code code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static XLA_FFI_Error *failure(const XLA_FFI_CallFrame *frame, XLA_FFI_Error_Code code, const char *format, ...) {
  char message[512];
  int prefix = snprintf(message, sizeof message, "torchtpu.onednn.convolution: ");
  va_list args;
  va_start(args, format);
  vsnprintf(message + prefix, sizeof message - prefix, format, args);
  va_end(args);
  XLA_FFI_Error_Create_Args create;
  memset(&create, 0, sizeof create);
  create.struct_size = XLA_FFI_Error_Create_Args_STRUCT_SIZE;
  create.message = message;
  create.errc = code;
  return frame->api->XLA_FFI_Error_Create(&create);
}

static const void *attribute(const XLA_FFI_CallFrame *frame, const char *name, XLA_FFI_AttrType type) {
  size_t length = strlen(name);
  for (int64_t i = 0; i < frame->attrs.size; i++) {
    const XLA_FFI_ByteSpan *span = frame->attrs.names[i];
    if (span->len == length && memcmp(span->ptr, name, length) == 0) {
      return frame->attrs.types[i] == type ? frame->attrs.attrs[i] : NULL;
    }
  }
  return NULL;
}

/* An i64 array attribute of exactly `count` elements, or NULL. */
static const int64_t *int_array(const XLA_FFI_CallFrame *frame, const char *name, size_t count) {
  const XLA_FFI_Array *array = attribute(frame, name, XLA_FFI_AttrType_ARRAY);
  if (array == NULL || array->dtype != XLA_FFI_DataType_S64 || array->size != count) return NULL;
  return array->data;
}

/* Row-major strides of a buffer laid out by a minor-to-major order; 0 when the order is not a permutation. */
static int physical_strides(const XLA_FFI_Buffer *buffer, const int64_t *minor_to_major, int64_t *strides) {
  int seen[MAX_RANK] = {0};
  int64_t stride = 1;
  for (int64_t i = 0; i < buffer->rank; i++) {
    int64_t dim = minor_to_major[i];
    if (dim < 0 || dim >= buffer->rank || seen[dim]) return 0;
    seen[dim] = 1;
    strides[dim] = stride;
    stride *= buffer->dims[dim];
  }
  return 1;
}

/* The handler's answer to XLA's question, at registration, which FFI version it was built against. */
static int answered_metadata_query(XLA_FFI_CallFrame *frame) {
  XLA_FFI_Extension_Base *extension = frame->extension_start;
  if (extension == NULL || extension->type != XLA_FFI_Extension_Metadata) return 0;
  XLA_FFI_Metadata *metadata = ((XLA_FFI_Metadata_Extension *)extension)->metadata;
  metadata->api_version.major_version = XLA_FFI_API_MAJOR;
  metadata->api_version.minor_version = XLA_FFI_API_MINOR;
  metadata->traits = 0;
  return 1;
}

static XLA_FFI_Error *describe(const XLA_FFI_CallFrame *frame, conv_key *key) {
  int has_bias = frame->args.size >= 3, has_residual = frame->args.size == 4;
  int buffers = frame->args.size >= 2 && frame->args.size <= 4 && frame->rets.size == 1
      && frame->rets.types[0] == XLA_FFI_RetType_BUFFER;
  for (int64_t i = 0; buffers && i < frame->args.size; i++) buffers = frame->args.types[i] == XLA_FFI_ArgType_BUFFER;
  if (!buffers) {
    return failure(frame, XLA_FFI_Error_Code_INVALID_ARGUMENT, "expects two to four operand buffers and one result buffer");
  }
  const XLA_FFI_Buffer *lhs = frame->args.args[0], *rhs = frame->args.args[1], *out = frame->rets.rets[0];
  if (lhs->dtype != XLA_FFI_DataType_F32 || rhs->dtype != XLA_FFI_DataType_F32 || out->dtype != XLA_FFI_DataType_F32) {
    return failure(frame, XLA_FFI_Error_Code_UNIMPLEMENTED, "only f32 operands are supported");
  }
  int64_t rank = lhs->rank;
  if (rank < 3 || rank > MAX_RANK || rhs->rank != rank || out->rank != rank) {
    return failure(frame, XLA_FFI_Error_Code_INVALID_ARGUMENT, "operands of rank %lld, %lld and %lld; 1 to %d spatial dimensions are supported",
                   (long long)lhs->rank, (long long)rhs->rank, (long long)out->rank, MAX_SPATIAL);
  }
  int spatial = (int)rank - 2;
  const int64_t *lhs_dims = int_array(frame, "lhs_dims", rank), *rhs_dims = int_array(frame, "rhs_dims", rank),
                *out_dims = int_array(frame, "out_dims", rank), *lhs_layout = int_array(frame, "lhs_layout", rank),
                *rhs_layout = int_array(frame, "rhs_layout", rank), *out_layout = int_array(frame, "out_layout", rank),
                *strides = int_array(frame, "window_strides", spatial), *pad_low = int_array(frame, "padding_low", spatial),
                *pad_high = int_array(frame, "padding_high", spatial), *dilation = int_array(frame, "rhs_dilation", spatial);
  const XLA_FFI_Scalar *groups_attribute = attribute(frame, "feature_group_count", XLA_FFI_AttrType_SCALAR);
  if (!lhs_dims || !rhs_dims || !out_dims || !lhs_layout || !rhs_layout || !out_layout || !strides || !pad_low
      || !pad_high || !dilation || !groups_attribute || groups_attribute->dtype != XLA_FFI_DataType_S64) {
    return failure(frame, XLA_FFI_Error_Code_INVALID_ARGUMENT,
                   "an attribute is missing or has the wrong type or length (rank %lld)", (long long)rank);
  }
  int64_t lhs_strides[MAX_RANK], rhs_strides[MAX_RANK], out_strides[MAX_RANK];
  if (!physical_strides(lhs, lhs_layout, lhs_strides) || !physical_strides(rhs, rhs_layout, rhs_strides)
      || !physical_strides(out, out_layout, out_strides)) {
    return failure(frame, XLA_FFI_Error_Code_INVALID_ARGUMENT, "a layout is not a permutation of the dimensions");
  }
  for (int64_t i = 0; i < rank; i++) {
    if (lhs_dims[i] < 0 || lhs_dims[i] >= rank || rhs_dims[i] < 0 || rhs_dims[i] >= rank || out_dims[i] < 0 || out_dims[i] >= rank) {
      return failure(frame, XLA_FFI_Error_Code_INVALID_ARGUMENT, "a dimension number is out of range");
    }
  }
  int64_t groups = *(const int64_t *)groups_attribute->value;
  int64_t out_features = rhs->dims[rhs_dims[0]];
  if (groups < 1 || out_features % groups != 0) {
    return failure(frame, XLA_FFI_Error_Code_INVALID_ARGUMENT, "feature_group_count %lld does not divide %lld output features",
                   (long long)groups, (long long)out_features);
  }
  if (has_bias) {
    const XLA_FFI_Buffer *bias = frame->args.args[2];
    if (bias->dtype != XLA_FFI_DataType_F32 || bias->rank != 1 || bias->dims[0] != out_features) {
      return failure(frame, XLA_FFI_Error_Code_INVALID_ARGUMENT, "the bias must be f32[%lld]", (long long)out_features);
    }
  }
  if (has_residual) {
    const XLA_FFI_Buffer *residual = frame->args.args[3];
    int same = residual->dtype == XLA_FFI_DataType_F32 && residual->rank == out->rank;
    for (int64_t i = 0; same && i < rank; i++) same = residual->dims[i] == out->dims[i];
    if (!same) return failure(frame, XLA_FFI_Error_Code_INVALID_ARGUMENT, "the residual must have the result's type");
  }
  const XLA_FFI_Scalar *relu = attribute(frame, "relu", XLA_FFI_AttrType_SCALAR);
  if (relu != NULL && relu->dtype != XLA_FFI_DataType_S64) {
    return failure(frame, XLA_FFI_Error_Code_INVALID_ARGUMENT, "the relu attribute must be an i64");
  }
  memset(key, 0, sizeof *key);
  key->spatial = spatial;
  key->has_bias = has_bias;
  key->has_residual = has_residual;
  key->relu = relu != NULL && *(const int64_t *)relu->value != 0;
  for (int64_t i = 0; i < rank; i++) {
    key->src_dims[i] = lhs->dims[lhs_dims[i]];
    key->src_strides[i] = lhs_strides[lhs_dims[i]];
    key->dst_dims[i] = out->dims[out_dims[i]];
    key->dst_strides[i] = out_strides[out_dims[i]];
  }
  /* oneDNN's grouped weights are [groups, out/groups, in/groups, spatial...]: the group splits the output features */
  int w = 0;
  if (groups > 1) {
    key->weight_dims[w] = groups;
    key->weight_strides[w++] = out_features / groups * rhs_strides[rhs_dims[0]];
    key->weight_dims[w] = out_features / groups;
  } else {
    key->weight_dims[w] = out_features;
  }
  key->weight_strides[w++] = rhs_strides[rhs_dims[0]];
  for (int64_t i = 1; i < rank; i++, w++) {
    key->weight_dims[w] = rhs->dims[rhs_dims[i]];
    key->weight_strides[w] = rhs_strides[rhs_dims[i]];
  }
  key->weight_rank = w;
  for (int i = 0; i < spatial; i++) {
    if (strides[i] < 1 || dilation[i] < 1 || pad_low[i] < 0 || pad_high[i] < 0) {
      return failure(frame, XLA_FFI_Error_Code_INVALID_ARGUMENT, "spatial dimension %d: stride %lld, dilation %lld and padding %lld/%lld "
                     "must be positive (padding non-negative)", i, (long long)strides[i], (long long)dilation[i],
                     (long long)pad_low[i], (long long)pad_high[i]);
    }
    key->strides[i] = strides[i];
    key->dilation[i] = dilation[i] - 1; /* oneDNN counts the gaps, StableHLO the step */
    key->pad_low[i] = pad_low[i];
    key->pad_high[i] = pad_high[i];
  }
  return NULL;
}

/* The primitive for a key, made and cached on first use; NULL with *status set when oneDNN refuses. */
static cached_primitive *primitive_for(const conv_key *key, dnnl_status_t *status, const char **step) {
  pthread_mutex_lock(&cache_lock);
  cached_primitive *entry = cache_head;
  while (entry != NULL && memcmp(&entry->key, key, sizeof *key) != 0) entry = entry->next;
  if (entry != NULL) {
    pthread_mutex_unlock(&cache_lock);
    return entry;
  }
  entry = calloc(1, sizeof *entry);
  dnnl_primitive_desc_t descriptor = NULL;
  *status = entry == NULL ? dnnl_out_of_memory : dnnl_success;
  int rank = key->spatial + 2;
  if (*status == dnnl_success) {
    entry->key = *key;
    *step = "describing the source";
    *status = dnnl_memory_desc_create_with_strides(&entry->src, rank, key->src_dims, dnnl_f32, key->src_strides);
  }
  if (*status == dnnl_success) {
    *step = "describing the weights";
    *status = dnnl_memory_desc_create_with_strides(&entry->weights, key->weight_rank, key->weight_dims, dnnl_f32, key->weight_strides);
  }
  if (*status == dnnl_success && key->has_bias) {
    *step = "describing the bias";
    dnnl_dims_t bias_dims = {key->dst_dims[1]};
    *status = dnnl_memory_desc_create_with_tag(&entry->bias, 1, bias_dims, dnnl_f32, dnnl_a);
  }
  if (*status == dnnl_success) {
    *step = "describing the result";
    *status = dnnl_memory_desc_create_with_strides(&entry->dst, rank, key->dst_dims, dnnl_f32, key->dst_strides);
  }
  dnnl_post_ops_t post_ops = NULL;
  dnnl_primitive_attr_t attributes = NULL;
  if (*status == dnnl_success) {
    *step = "asking for a scratchpad of the caller's";
    *status = dnnl_primitive_attr_create(&attributes);
    if (*status == dnnl_success) *status = dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user);
  }
  if (*status == dnnl_success && (key->has_residual || key->relu)) {
    *step = "adding the residual and ReLU";
    *status = dnnl_post_ops_create(&post_ops);
    /* the residual is laid out as the result is: the result's descriptor describes it */
    if (*status == dnnl_success && key->has_residual) *status = dnnl_post_ops_append_binary(post_ops, dnnl_binary_add, entry->dst);
    if (*status == dnnl_success && key->relu) *status = dnnl_post_ops_append_eltwise(post_ops, dnnl_eltwise_relu, 0.f, 0.f);
    if (*status == dnnl_success) *status = dnnl_primitive_attr_set_post_ops(attributes, post_ops);
  }
  if (*status == dnnl_success) {
    *step = "choosing a convolution implementation";
    *status = dnnl_convolution_forward_primitive_desc_create(&descriptor, engine, dnnl_forward_inference, dnnl_convolution_direct,
        entry->src, entry->weights, entry->bias, entry->dst, key->strides, key->dilation, key->pad_low, key->pad_high, attributes);
  }
  if (attributes != NULL) dnnl_primitive_attr_destroy(attributes);
  if (post_ops != NULL) dnnl_post_ops_destroy(post_ops);
  if (*status == dnnl_success) {
    *step = "describing the scratchpad";
    *status = dnnl_memory_desc_clone(&entry->scratchpad, dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0));
    entry->scratchpad_bytes = *status == dnnl_success ? dnnl_memory_desc_get_size(entry->scratchpad) : 0;
  }
  if (*status == dnnl_success) {
    *step = "compiling the convolution";
    *status = dnnl_primitive_create(&entry->primitive, descriptor);
  }
  if (descriptor != NULL) dnnl_primitive_desc_destroy(descriptor);
  if (*status != dnnl_success) {
    if (entry != NULL) {
      if (entry->src) dnnl_memory_desc_destroy(entry->src);
      if (entry->weights) dnnl_memory_desc_destroy(entry->weights);
      if (entry->bias) dnnl_memory_desc_destroy(entry->bias);
      if (entry->dst) dnnl_memory_desc_destroy(entry->dst);
      if (entry->scratchpad) dnnl_memory_desc_destroy(entry->scratchpad);
      free(entry);
    }
    pthread_mutex_unlock(&cache_lock);
    return NULL;
  }
  entry->next = cache_head;
  cache_head = entry;
  pthread_mutex_unlock(&cache_lock);
  return entry;
}

/* The calling thread's stream and a scratchpad of at least `bytes`; NULL when either cannot be had. */
static thread_state *thread_state_for(size_t bytes) {
  thread_state *state = pthread_getspecific(thread_state_key);
  if (state == NULL) {
    state = calloc(1, sizeof *state);
    if (state == NULL) return NULL;
    if (dnnl_stream_create(&state->stream, engine, dnnl_stream_default_flags) != dnnl_success
        || pthread_setspecific(thread_state_key, state) != 0) {
      free_thread_state(state);
      return NULL;
    }
  }
  if (bytes > state->scratchpad_bytes) {
    void *larger = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (larger == NULL) return NULL;
    free(state->scratchpad);
    state->scratchpad = larger;
    state->scratchpad_bytes = bytes;
  }
  return state;
}

/*
 * One call's work: `slices` slices of the batch (dimension 0) or of the result's first spatial dimension
 * (dimension 2), taken by whichever threads come first (the caller and the tasks it scheduled); `references`
 * keeps it alive for a task that starts after the call has returned.
 */
typedef struct {
  const XLA_FFI_CallFrame *frame;
  conv_key key;
  int sliced_dim;
  int64_t extent, slices;
  atomic_int_fast64_t next_slice, finished_slices;
  atomic_int references;
  /* the first failure: its status (dnnl_success while none) and what was being done */
  _Atomic dnnl_status_t status;
  const char *_Atomic step;
} call_work;

static void release(call_work *work) {
  if (atomic_fetch_sub(&work->references, 1) == 1) free(work);
}

static char *at(void *data, const int64_t *strides, int dim, int64_t index) {
  return (char *)data + index * strides[dim] * (int64_t)sizeof(float);
}

/*
 * A slice of rows must have at least this much work (about 50 us on one core): smaller ones, with the input rows
 * their neighbours read too, cost more than they saved (ResNet-18's 16-channel layers at batch 1 ran 1.4x
 * slower split in two). Slices of a batch have no such overlap: even ResNet-18's 1x1 convolutions at batch 32
 * (1M multiply-adds) ran faster sliced.
 */
#define MIN_ROWS_MULTIPLY_ADDS (4 << 20)

/* The convolution's multiply-adds: every result element times the inputs and kernel positions it reads. */
static int64_t multiply_adds(const conv_key *key) {
  int64_t count = key->weight_dims[key->weight_rank - key->spatial - 1]; /* input features per group */
  for (int i = 0; i < key->spatial + 2; i++) count *= key->dst_dims[i];
  for (int i = 0; i < key->spatial; i++) count *= key->weight_dims[key->weight_rank - key->spatial + i];
  return count;
}

/* The largest extent (size times stride) of dimensions 1.., the stride that makes dimension 0 outermost. */
static int64_t outermost_extent(const int64_t *dims, const int64_t *strides, int rank) {
  int64_t extent = 1;
  for (int i = 1; i < rank; i++) {
    if (dims[i] * strides[i] > extent) extent = dims[i] * strides[i];
  }
  return extent;
}

/*
 * The convolution that computes result rows [first, first + count) of the first spatial dimension: the input
 * rows those windows read, clipped to the input, with the padding they reach; *input_first is the first input
 * row. 0 when the windows read no input row at all (padding only).
 */
static int rows_of(conv_key *key, int64_t first, int64_t count, int64_t *input_first) {
  int64_t kernel = key->weight_dims[key->weight_rank - key->spatial];
  int64_t reach = (kernel - 1) * (key->dilation[0] + 1) + 1;
  int64_t from = first * key->strides[0] - key->pad_low[0];
  int64_t to = (first + count - 1) * key->strides[0] - key->pad_low[0] + reach;
  int64_t clipped_from = from < 0 ? 0 : from, clipped_to = to > key->src_dims[2] ? key->src_dims[2] : to;
  if (clipped_to <= clipped_from) return 0;
  key->pad_low[0] = clipped_from - from;
  key->pad_high[0] = to - clipped_to;
  key->src_dims[2] = clipped_to - clipped_from;
  key->dst_dims[2] = count;
  *input_first = clipped_from;
  /* a batch of one: its stride is free, and oneDNN's fast kernels want the slice dense (else its reference one) */
  key->src_strides[0] = outermost_extent(key->src_dims, key->src_strides, key->spatial + 2);
  key->dst_strides[0] = outermost_extent(key->dst_dims, key->dst_strides, key->spatial + 2);
  return 1;
}

/* Runs slice `slice`: the batch rows or result rows [first, first + count) through a primitive made for them. */
static void run_slice(call_work *work, int64_t slice) {
  int64_t first = work->extent * slice / work->slices, count = work->extent * (slice + 1) / work->slices - first;
  conv_key key = work->key;
  int64_t input_first = first;
  if (work->sliced_dim == 0) {
    key.src_dims[0] = count;
    key.dst_dims[0] = count;
  } else {
    rows_of(&key, first, count, &input_first); /* checked before the call was sliced */
  }
  int dim = work->sliced_dim;
  const XLA_FFI_CallFrame *frame = work->frame;
  int threads = omp_get_max_threads();
  omp_set_num_threads(1); /* the primitive is made for, and runs on, this thread alone */
  dnnl_status_t status = dnnl_success;
  const char *step = "";
  cached_primitive *entry = primitive_for(&key, &status, &step);
  thread_state *state = entry == NULL ? NULL : thread_state_for(entry->scratchpad_bytes);
  if (entry != NULL && state == NULL) {
    status = dnnl_out_of_memory;
    step = "making a stream and scratchpad";
  }
  dnnl_memory_t src = NULL, weights = NULL, bias = NULL, residual = NULL, dst = NULL, scratchpad = NULL;
  if (state != NULL) {
    const XLA_FFI_Buffer *lhs = frame->args.args[0], *rhs = frame->args.args[1], *out = frame->rets.rets[0];
    step = "running the convolution";
    status = dnnl_memory_create(&src, entry->src, engine, at(lhs->data, key.src_strides, dim, input_first));
    if (status == dnnl_success) status = dnnl_memory_create(&weights, entry->weights, engine, rhs->data);
    if (status == dnnl_success && key.has_bias) {
      status = dnnl_memory_create(&bias, entry->bias, engine, ((const XLA_FFI_Buffer *)frame->args.args[2])->data);
    }
    if (status == dnnl_success && key.has_residual) {
      status = dnnl_memory_create(&residual, entry->dst, engine,
                                  at(((const XLA_FFI_Buffer *)frame->args.args[3])->data, key.dst_strides, dim, first));
    }
    if (status == dnnl_success) status = dnnl_memory_create(&dst, entry->dst, engine, at(out->data, key.dst_strides, dim, first));
    if (status == dnnl_success) status = dnnl_memory_create(&scratchpad, entry->scratchpad, engine, state->scratchpad);
    if (status == dnnl_success) {
      /* the residual is the first post-op (index 0) when there is one */
      dnnl_exec_arg_t args[6] = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst},
                                 {DNNL_ARG_SCRATCHPAD, scratchpad}, {DNNL_ARG_BIAS, bias},
                                 {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, residual}};
      if (!key.has_bias) args[4] = args[5];
      status = dnnl_primitive_execute(entry->primitive, state->stream, 4 + key.has_bias + key.has_residual, args);
      if (status == dnnl_success) status = dnnl_stream_wait(state->stream);
    }
  }
  if (src) dnnl_memory_destroy(src);
  if (weights) dnnl_memory_destroy(weights);
  if (bias) dnnl_memory_destroy(bias);
  if (residual) dnnl_memory_destroy(residual);
  if (dst) dnnl_memory_destroy(dst);
  if (scratchpad) dnnl_memory_destroy(scratchpad);
  omp_set_num_threads(threads);
  if (status != dnnl_success) {
    dnnl_status_t none = dnnl_success;
    if (atomic_compare_exchange_strong(&work->status, &none, status)) atomic_store(&work->step, step);
  }
}

/* Takes and runs slices until none is left. */
static void run_slices(call_work *work) {
  for (int64_t slice; (slice = atomic_fetch_add(&work->next_slice, 1)) < work->slices;) {
    run_slice(work, slice);
    atomic_fetch_add(&work->finished_slices, 1);
  }
}

static void slice_task(void *data) {
  run_slices(data);
  release(data);
}

/* Frees an error XLA's API returned that the handler answers otherwise (by running on the calling thread). */
static void discard(const XLA_FFI_Api *api, XLA_FFI_Error *error) {
  XLA_FFI_Error_Destroy_Args destroy;
  memset(&destroy, 0, sizeof destroy);
  destroy.struct_size = XLA_FFI_Error_Destroy_Args_STRUCT_SIZE;
  destroy.error = error;
  api->XLA_FFI_Error_Destroy(&destroy);
}

/* The CPUs this process may run on; 1 when the system does not say. */
static int64_t usable_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int count = CPU_COUNT(&set);
  return count < 1 ? 1 : count;
}

/*
 * How many threads can run a call's slices at once: XLA's pool workers and the caller, but no more than the CPUs.
 * Why the cap: with XLA's default pool (one worker per CPU) a slice for every worker and one for the caller would
 * put more threads than cores on the slices; with a pool one smaller than the CPUs (XLA's PJRT_NPROC) the caller
 * makes up the last core. 1 where the plugin's FFI has no pool.
 */
static int64_t slice_threads(const XLA_FFI_CallFrame *frame) {
  const XLA_FFI_Api *api = frame->api;
  if (api->struct_size < offsetof(XLA_FFI_Api, XLA_FFI_ThreadPool_NumThreads) + sizeof api->XLA_FFI_ThreadPool_NumThreads) return 1;
  int64_t workers = 0;
  XLA_FFI_ThreadPool_NumThreads_Args args;
  memset(&args, 0, sizeof args);
  args.struct_size = XLA_FFI_ThreadPool_NumThreads_Args_STRUCT_SIZE;
  args.ctx = frame->ctx;
  args.num_threads = &workers;
  XLA_FFI_Error *error = api->XLA_FFI_ThreadPool_NumThreads(&args);
  if (error != NULL) {
    discard(api, error);
    return 1;
  }
  int64_t threads = (workers < 0 ? 0 : workers) + 1, cpus = usable_cpus();
  return threads < cpus ? threads : cpus;
}

/* Hands one task to XLA's pool; 0 when the pool refused it. */
static int schedule(const XLA_FFI_CallFrame *frame, call_work *work) {
  XLA_FFI_ThreadPool_Schedule_Args args;
  memset(&args, 0, sizeof args);
  args.struct_size = XLA_FFI_ThreadPool_Schedule_Args_STRUCT_SIZE;
  args.ctx = frame->ctx;
  args.task = slice_task;
  args.data = work;
  XLA_FFI_Error *error = frame->api->XLA_FFI_ThreadPool_Schedule(&args);
  if (error == NULL) return 1;
  discard(frame->api, error);
  return 0;
}

static XLA_FFI_Error *onednn_convolution(XLA_FFI_CallFrame *frame) {
  if (answered_metadata_query(frame) || frame->stage != XLA_FFI_ExecutionStage_EXECUTE) return NULL;
  conv_key key;
  XLA_FFI_Error *invalid = describe(frame, &key);
  if (invalid != NULL) return invalid;
  pthread_once(&engine_once, create_engine);
  if (engine_status != dnnl_success) {
    return failure(frame, XLA_FFI_Error_Code_UNAVAILABLE, "oneDNN has no CPU engine (status %d)", (int)engine_status);
  }
  call_work *work = calloc(1, sizeof *work);
  if (work == NULL) return failure(frame, XLA_FFI_Error_Code_RESOURCE_EXHAUSTED, "no memory for the call");
  work->frame = frame;
  work->key = key;
  int64_t threads = slice_threads(frame);
  /* the batch; at batch 1 the result's rows, each slice reading the input rows its windows reach */
  work->sliced_dim = key.src_dims[0] == 1 && threads > 1 ? 2 : 0;
  work->extent = work->sliced_dim == 0 ? key.src_dims[0] : key.dst_dims[2];
  work->slices = work->extent < threads ? work->extent : threads;
  if (work->sliced_dim == 2 && multiply_adds(&key) / MIN_ROWS_MULTIPLY_ADDS < work->slices) {
    work->slices = multiply_adds(&key) / MIN_ROWS_MULTIPLY_ADDS;
  }
  for (int64_t i = 0; work->sliced_dim == 2 && i < work->slices; i++) {
    conv_key rows = key;
    int64_t input_first;
    int64_t first = work->extent * i / work->slices;
    if (!rows_of(&rows, first, work->extent * (i + 1) / work->slices - first, &input_first)) work->slices = 1;
  }
  if (work->slices < 1) work->slices = 1;
  atomic_init(&work->next_slice, 0);
  atomic_init(&work->finished_slices, 0);
  atomic_init(&work->references, 1);
  atomic_init(&work->status, dnnl_success);
  atomic_init(&work->step, "");
  for (int64_t i = 1; i < work->slices; i++) {
    atomic_fetch_add(&work->references, 1);
    if (!schedule(frame, work)) {
      atomic_fetch_sub(&work->references, 1);
      break; /* the caller takes the rest */
    }
  }
  run_slices(work);
  /* slices another thread took are running now: wait for them, never for a task not yet started */
  for (int spins = 0; atomic_load(&work->finished_slices) < work->slices; spins++) {
    if (spins > 64) sched_yield();
  }
  dnnl_status_t status = atomic_load(&work->status);
  const char *step = atomic_load(&work->step);
  release(work);
  return status == dnnl_success ? NULL
      : failure(frame, status == dnnl_unimplemented ? XLA_FFI_Error_Code_UNIMPLEMENTED : XLA_FFI_Error_Code_INTERNAL,
                "oneDNN failed %s (status %d)", step, (int)status);
}

/*
 * XLA keeps a registered handler's address for the life of the process, but the JVM unloads a JNI library when its
 * class loader goes, as the loader of an updated bundle's earlier revision does: this library keeps itself loaded for
 * good (RTLD_NODELETE on its own handle), so that no program can call into memory it left.
 */
JNIEXPORT EXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
  Dl_info self;
  if (dladdr((void *)&onednn_convolution, &self) == 0 || self.dli_fname == NULL
      || dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) == NULL) {
    return JNI_ERR; /* the load fails, and the backend runs without oneDNN */
  }
  return JNI_VERSION_1_8;
}

JNIEXPORT EXPORT jlong JNICALL Java_io_torchtpu_backend_cpu_OneDnnConvolutions_handlerAddress(JNIEnv *env, jclass cls) {
  return (jlong)(intptr_t)&onednn_convolution;
}

JNIEXPORT EXPORT jstring JNICALL Java_io_torchtpu_backend_cpu_OneDnnConvolutions_libraryVersion(JNIEnv *env, jclass cls) {
  const dnnl_version_t *version = dnnl_version();
  char text[96];
  snprintf(text, sizeof text, "%d.%d.%d (%s)", version->major, version->minor, version->patch, version->hash);
  return (*env)->NewStringUTF(env, text);
}
