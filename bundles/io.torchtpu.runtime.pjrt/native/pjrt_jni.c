/*
 * TorchTPU for Java: the thin JNI layer over the PJRT C API.
 *
 * One JNI call per coarse operation (plugin load, client create, compile,
 * transfer, execute, event poll, to-host, serialize/deserialize, destroy).
 * Every handle crosses JNI as a jlong and is owned by exactly one Java object;
 * this file never keeps state of its own beyond the loaded plugin table.
 * Every PJRT_Error becomes an io.torchtpu.runtime.pjrt.PjrtException carrying
 * the PJRT_Error_Code and the plugin's message. Argument checks are done in
 * Java before the call; the checks here only guard against crashes.
 */
#include <dlfcn.h>
#include <errno.h>
#include <jni.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xla/pjrt/c/pjrt_c_api.h"

#define PKG "io/torchtpu/runtime/pjrt/"

/* ------------------------------------------------------------------ helpers */

#define API(h) ((const PJRT_Api *)(intptr_t)(h))
#define PTR(T, h) ((T *)(intptr_t)(h))
#define HANDLE(p) ((jlong)(intptr_t)(p))
#define INIT_ARGS(T, var) \
  T var;                  \
  memset(&var, 0, sizeof var); \
  var.struct_size = T##_STRUCT_SIZE

/* Classes and method IDs looked up once in JNI_OnLoad. The java.base classes are
 * global references (the boot loader never unloads them); PjrtException is a weak
 * one, so this library never pins its bundle's class loader. */
static struct {
  jclass Integer, Long, Float, Boolean, Object, String, Number, Double, LongArray;
  jmethodID Integer_valueOf, Long_valueOf, Float_valueOf, Boolean_valueOf;
  jmethodID Number_longValue, Number_floatValue, Boolean_booleanValue;
  jweak PjrtException;
  jmethodID PjrtException_init;
} J;

static jclass global_class(JNIEnv *env, const char *name) {
  jclass local = (*env)->FindClass(env, name);
  if (local == NULL) return NULL;
  jclass global = (jclass)(*env)->NewGlobalRef(env, local);
  (*env)->DeleteLocalRef(env, local);
  return global;
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
  (void)reserved;
  JNIEnv *env;
  if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return JNI_ERR;
  if ((J.Integer = global_class(env, "java/lang/Integer")) == NULL ||
      (J.Long = global_class(env, "java/lang/Long")) == NULL ||
      (J.Float = global_class(env, "java/lang/Float")) == NULL ||
      (J.Boolean = global_class(env, "java/lang/Boolean")) == NULL ||
      (J.Object = global_class(env, "java/lang/Object")) == NULL ||
      (J.String = global_class(env, "java/lang/String")) == NULL ||
      (J.Number = global_class(env, "java/lang/Number")) == NULL ||
      (J.Double = global_class(env, "java/lang/Double")) == NULL ||
      (J.LongArray = global_class(env, "[J")) == NULL)
    return JNI_ERR;
  J.Integer_valueOf = (*env)->GetStaticMethodID(env, J.Integer, "valueOf", "(I)Ljava/lang/Integer;");
  J.Long_valueOf = (*env)->GetStaticMethodID(env, J.Long, "valueOf", "(J)Ljava/lang/Long;");
  J.Float_valueOf = (*env)->GetStaticMethodID(env, J.Float, "valueOf", "(F)Ljava/lang/Float;");
  J.Boolean_valueOf = (*env)->GetStaticMethodID(env, J.Boolean, "valueOf", "(Z)Ljava/lang/Boolean;");
  J.Number_longValue = (*env)->GetMethodID(env, J.Number, "longValue", "()J");
  J.Number_floatValue = (*env)->GetMethodID(env, J.Number, "floatValue", "()F");
  J.Boolean_booleanValue = (*env)->GetMethodID(env, J.Boolean, "booleanValue", "()Z");
  jclass ex = (*env)->FindClass(env, PKG "PjrtException");
  if (ex == NULL) return JNI_ERR;
  J.PjrtException = (*env)->NewWeakGlobalRef(env, ex);
  J.PjrtException_init = (*env)->GetMethodID(env, ex, "<init>", "(ILjava/lang/String;)V");
  (*env)->DeleteLocalRef(env, ex);
  if ((*env)->ExceptionCheck(env) || J.PjrtException_init == NULL) return JNI_ERR;
  return JNI_VERSION_1_8;
}

JNIEXPORT void JNICALL JNI_OnUnload(JavaVM *vm, void *reserved) {
  (void)reserved;
  JNIEnv *env;
  if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) return;
  jclass *globals[] = {&J.Integer, &J.Long, &J.Float, &J.Boolean, &J.Object, &J.String, &J.Number, &J.Double,
                       &J.LongArray};
  for (size_t i = 0; i < sizeof globals / sizeof *globals; i++) {
    if (*globals[i] != NULL) (*env)->DeleteGlobalRef(env, *globals[i]);
    *globals[i] = NULL;
  }
  if (J.PjrtException != NULL) (*env)->DeleteWeakGlobalRef(env, J.PjrtException);
  J.PjrtException = NULL;
}

static void throw_class(JNIEnv *env, const char *cls, const char *msg) {
  if ((*env)->ExceptionCheck(env)) return;
  jclass c = (*env)->FindClass(env, cls);
  if (c != NULL) (*env)->ThrowNew(env, c, msg);
}

static void throw_pjrt_code(JNIEnv *env, int code, const char *msg, size_t len) {
  if ((*env)->ExceptionCheck(env)) return;
  jclass c = (jclass)(*env)->NewLocalRef(env, J.PjrtException);
  if (c == NULL) return;
  char *copy = malloc(len + 1);
  if (copy == NULL) { throw_class(env, "java/lang/OutOfMemoryError", "PJRT error message"); return; }
  memcpy(copy, msg, len);
  copy[len] = 0;
  jstring jmsg = (*env)->NewStringUTF(env, copy);
  free(copy);
  if (jmsg == NULL) return;
  jobject ex = (*env)->NewObject(env, c, J.PjrtException_init, (jint)code, jmsg);
  if (ex != NULL) (*env)->Throw(env, (jthrowable)ex);
  (*env)->DeleteLocalRef(env, c);
}

/* Converts a PJRT_Error into a pending PjrtException and destroys it.
 * Returns 1 when there was an error. */
static int check(JNIEnv *env, const PJRT_Api *api, PJRT_Error *err) {
  if (err == NULL) return 0;
  INIT_ARGS(PJRT_Error_Message_Args, m);
  m.error = err;
  api->PJRT_Error_Message(&m);
  INIT_ARGS(PJRT_Error_GetCode_Args, g);
  g.error = err;
  int code = PJRT_Error_Code_UNKNOWN;
  if (api->PJRT_Error_GetCode(&g) == NULL) code = (int)g.code;
  throw_pjrt_code(env, code, m.message != NULL ? m.message : "", m.message != NULL ? m.message_size : 0);
  INIT_ARGS(PJRT_Error_Destroy_Args, d);
  d.error = err;
  api->PJRT_Error_Destroy(&d);
  return 1;
}

static jstring new_string(JNIEnv *env, const char *s, size_t len) {
  char *copy = malloc(len + 1);
  if (copy == NULL) { throw_class(env, "java/lang/OutOfMemoryError", "string"); return NULL; }
  if (len > 0) memcpy(copy, s, len);
  copy[len] = 0;
  jstring r = (*env)->NewStringUTF(env, copy);
  free(copy);
  return r;
}

static jlongArray new_long_array(JNIEnv *env, const int64_t *v, size_t n) {
  jlongArray a = (*env)->NewLongArray(env, (jsize)n);
  if (a != NULL && n > 0) (*env)->SetLongArrayRegion(env, a, 0, (jsize)n, (const jlong *)v);
  return a;
}

static jlongArray new_ptr_array(JNIEnv *env, void *const *v, size_t n) {
  jlongArray a = (*env)->NewLongArray(env, (jsize)n);
  if (a == NULL) return NULL;
  for (size_t i = 0; i < n; i++) {
    jlong h = HANDLE(v[i]);
    (*env)->SetLongArrayRegion(env, a, (jsize)i, 1, &h);
  }
  return a;
}

static jobject box_int(JNIEnv *env, jint v) {
  return (*env)->CallStaticObjectMethod(env, J.Integer, J.Integer_valueOf, v);
}
static jobject box_long(JNIEnv *env, jlong v) {
  return (*env)->CallStaticObjectMethod(env, J.Long, J.Long_valueOf, v);
}
static jobject box_float(JNIEnv *env, jfloat v) {
  return (*env)->CallStaticObjectMethod(env, J.Float, J.Float_valueOf, v);
}
static jobject box_bool(JNIEnv *env, jboolean v) {
  return (*env)->CallStaticObjectMethod(env, J.Boolean, J.Boolean_valueOf, v);
}

static jobjectArray new_object_array(JNIEnv *env, jsize n) {
  return (*env)->NewObjectArray(env, n, J.Object, NULL);
}

/* Named values -> Object[]{name0, value0, name1, value1, ...}; values are
 * String, Long, long[], Float or Boolean. */
static jobjectArray named_values(JNIEnv *env, const PJRT_NamedValue *nv, size_t n) {
  jobjectArray out = new_object_array(env, (jsize)(2 * n));
  if (out == NULL) return NULL;
  for (size_t i = 0; i < n; i++) {
    jstring name = new_string(env, nv[i].name, nv[i].name_size);
    jobject value = NULL;
    switch (nv[i].type) {
      case PJRT_NamedValue_kString: value = new_string(env, nv[i].string_value, nv[i].value_size); break;
      case PJRT_NamedValue_kInt64: value = box_long(env, nv[i].int64_value); break;
      case PJRT_NamedValue_kInt64List: value = new_long_array(env, nv[i].int64_array_value, nv[i].value_size); break;
      case PJRT_NamedValue_kFloat: value = box_float(env, nv[i].float_value); break;
      case PJRT_NamedValue_kBool: value = box_bool(env, nv[i].bool_value); break;
      default: value = NULL;
    }
    if ((*env)->ExceptionCheck(env)) return NULL;
    (*env)->SetObjectArrayElement(env, out, (jsize)(2 * i), name);
    (*env)->SetObjectArrayElement(env, out, (jsize)(2 * i + 1), value);
    (*env)->DeleteLocalRef(env, name);
    if (value != NULL) (*env)->DeleteLocalRef(env, value);
  }
  return out;
}

/* ------------------------------------------------------------------ plugin */

#define JNIFN(ret, name) JNIEXPORT ret JNICALL Java_io_torchtpu_runtime_pjrt_PjrtNative_##name

JNIFN(jintArray, headerVersion)(JNIEnv *env, jclass cls) {
  (void)cls;
  jint v[2] = {PJRT_API_MAJOR, PJRT_API_MINOR};
  jintArray a = (*env)->NewIntArray(env, 2);
  if (a != NULL) (*env)->SetIntArrayRegion(env, a, 0, 2, v);
  return a;
}

/* dlopen + GetPjrtApi + version check. Returns the PJRT_Api* (process lifetime;
 * plugins are never unloaded, as PJRT plugins do not support it). */
JNIFN(jlong, loadPlugin)(JNIEnv *env, jclass cls, jstring jpath) {
  (void)cls;
  const char *path = (*env)->GetStringUTFChars(env, jpath, NULL);
  if (path == NULL) return 0;
  char msg[4096];
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    const char *e = dlerror();
    snprintf(msg, sizeof msg, "cannot load %s as a PJRT plugin: %s", path, e != NULL ? e : "dlopen failed");
    (*env)->ReleaseStringUTFChars(env, jpath, path);
    throw_class(env, PKG "PjrtPluginLoadException", msg);
    return 0;
  }
  typedef const PJRT_Api *(*GetPjrtApiFn)(void);
  GetPjrtApiFn get = (GetPjrtApiFn)dlsym(h, "GetPjrtApi");
  if (get == NULL) {
    snprintf(msg, sizeof msg, "%s is not a PJRT plugin: it does not export GetPjrtApi", path);
    dlclose(h);
    (*env)->ReleaseStringUTFChars(env, jpath, path);
    throw_class(env, PKG "PjrtPluginLoadException", msg);
    return 0;
  }
  const PJRT_Api *api = get();
  if (api == NULL) {
    snprintf(msg, sizeof msg, "%s: GetPjrtApi returned NULL", path);
    (*env)->ReleaseStringUTFChars(env, jpath, path);
    throw_class(env, PKG "PjrtPluginLoadException", msg);
    return 0;
  }
  int major = api->pjrt_api_version.major_version;
  int minor = api->pjrt_api_version.minor_version;
  /* Same major required. Within a major, struct_size versioning makes an older
   * header work with a newer plugin; an older plugin lacks functions we call. */
  if (major != PJRT_API_MAJOR || minor < PJRT_API_MINOR ||
      api->struct_size < PJRT_Api_STRUCT_SIZE) {
    snprintf(msg, sizeof msg,
             "incompatible PJRT plugin %s: it implements PJRT C API %d.%d, this bridge was built "
             "against %d.%d (needs major %d and minor >= %d)",
             path, major, minor, PJRT_API_MAJOR, PJRT_API_MINOR, PJRT_API_MAJOR, PJRT_API_MINOR);
    (*env)->ReleaseStringUTFChars(env, jpath, path);
    throw_class(env, PKG "PjrtPluginLoadException", msg);
    return 0;
  }
  (*env)->ReleaseStringUTFChars(env, jpath, path);
  return HANDLE(api);
}

JNIFN(jintArray, apiVersion)(JNIEnv *env, jclass cls, jlong api) {
  (void)cls;
  jint v[2] = {API(api)->pjrt_api_version.major_version, API(api)->pjrt_api_version.minor_version};
  jintArray a = (*env)->NewIntArray(env, 2);
  if (a != NULL) (*env)->SetIntArrayRegion(env, a, 0, 2, v);
  return a;
}

JNIFN(void, pluginInitialize)(JNIEnv *env, jclass cls, jlong api) {
  (void)cls;
  INIT_ARGS(PJRT_Plugin_Initialize_Args, a);
  check(env, API(api), API(api)->PJRT_Plugin_Initialize(&a));
}

JNIFN(jobjectArray, pluginAttributes)(JNIEnv *env, jclass cls, jlong api) {
  (void)cls;
  INIT_ARGS(PJRT_Plugin_Attributes_Args, a);
  if (check(env, API(api), API(api)->PJRT_Plugin_Attributes(&a))) return NULL;
  return named_values(env, a.attributes, a.num_attributes);
}

/* The PJRT FFI extension's handler registration. pjrt_c_api.h declares the extension type but not its struct, and
 * no registry package ships pjrt_c_api_ffi_extension.h, so the ABI of version 2 (XLA's
 * PJRT_API_FFI_EXTENSION_VERSION 2, the pinned CPU plugin's) is written out here; struct_size guards the rest. */
typedef struct {
  size_t struct_size;
  const char *target_name;
  size_t target_name_size;
  void *handler; /* an XLA_FFI_Handler* */
  const char *platform_name;
  size_t platform_name_size;
  uint32_t traits;
} ffi_register_handler_args;

typedef struct {
  PJRT_Extension_Base base;
  void *type_id_register;
  void *user_data_add;
  PJRT_Error *(*register_handler)(ffi_register_handler_args *args);
} ffi_extension;

JNIFN(void, registerFfiHandler)(JNIEnv *env, jclass cls, jlong api, jstring jtarget, jstring jplatform, jlong handler) {
  (void)cls;
  const ffi_extension *ffi = NULL;
  for (const PJRT_Extension_Base *e = API(api)->extension_start; e != NULL; e = e->next) {
    if (e->type == PJRT_Extension_Type_FFI) ffi = (const ffi_extension *)e;
  }
  if (ffi == NULL || ffi->base.struct_size < sizeof(ffi_extension) || ffi->register_handler == NULL) {
    static const char missing[] = "this plugin cannot register FFI handlers (no PJRT FFI extension version 2)";
    throw_pjrt_code(env, PJRT_Error_Code_UNIMPLEMENTED, missing, sizeof missing - 1);
    return;
  }
  const char *target = (*env)->GetStringUTFChars(env, jtarget, NULL);
  const char *platform = target != NULL ? (*env)->GetStringUTFChars(env, jplatform, NULL) : NULL;
  if (platform != NULL) {
    ffi_register_handler_args a;
    memset(&a, 0, sizeof a);
    a.struct_size = sizeof a;
    a.target_name = target;
    a.target_name_size = strlen(target);
    a.handler = (void *)(intptr_t)handler;
    a.platform_name = platform;
    a.platform_name_size = strlen(platform);
    check(env, API(api), ffi->register_handler(&a));
    (*env)->ReleaseStringUTFChars(env, jplatform, platform);
  }
  if (target != NULL) (*env)->ReleaseStringUTFChars(env, jtarget, target);
}

/* getenv, which sees what setEnvironment set (System.getenv does not). */
JNIFN(jstring, getEnvironment)(JNIEnv *env, jclass cls, jstring jname) {
  (void)cls;
  const char *name = (*env)->GetStringUTFChars(env, jname, NULL);
  if (name == NULL) return NULL;
  const char *now = getenv(name);
  jstring out = now != NULL ? (*env)->NewStringUTF(env, now) : NULL;
  (*env)->ReleaseStringUTFChars(env, jname, name);
  return out;
}

/* ------------------------------------------------------------ named values in */

/* Java (String[] names, Object[] values) -> PJRT_NamedValue[]; release with
 * named_values_free. Values: String, Number (Float/Double are floats), Boolean, long[]. */
typedef struct {
  jsize n;
  PJRT_NamedValue *nv;
  const char **cnames;
  const char **cstrs;
  int64_t **arrays;
  jobject *refs;
} NamedValuesIn;

static void named_values_free(JNIEnv *env, NamedValuesIn *in) {
  for (jsize i = 0; i < in->n && in->refs != NULL && in->cnames != NULL; i++) {
    if (in->cnames[i] != NULL) (*env)->ReleaseStringUTFChars(env, (jstring)in->refs[2 * i], in->cnames[i]);
    if (in->cstrs != NULL && in->cstrs[i] != NULL)
      (*env)->ReleaseStringUTFChars(env, (jstring)in->refs[2 * i + 1], in->cstrs[i]);
    if (in->arrays != NULL) free(in->arrays[i]);
  }
  free(in->nv);
  free(in->cnames);
  free(in->cstrs);
  free(in->arrays);
  free(in->refs);
}

/* Returns 0 with a pending exception on failure (in must still be freed). */
static int named_values_in(JNIEnv *env, jobjectArray names, jobjectArray values, NamedValuesIn *in) {
  memset(in, 0, sizeof *in);
  jsize n = names == NULL ? 0 : (*env)->GetArrayLength(env, names);
  size_t cap = n > 0 ? (size_t)n : 1;
  in->nv = calloc(cap, sizeof *in->nv);
  in->cnames = calloc(cap, sizeof *in->cnames);
  in->cstrs = calloc(cap, sizeof *in->cstrs);
  in->arrays = calloc(cap, sizeof *in->arrays);
  in->refs = calloc(2 * cap, sizeof *in->refs);
  if (in->nv == NULL || in->cnames == NULL || in->cstrs == NULL || in->arrays == NULL || in->refs == NULL) {
    throw_class(env, "java/lang/OutOfMemoryError", "named values");
    return 0;
  }
  in->n = n;
  jclass cString = J.String, cNumber = J.Number, cFloat = J.Float, cDouble = J.Double, cBool = J.Boolean;
  jclass cLongArr = J.LongArray;
  jmethodID longValue = J.Number_longValue, floatValue = J.Number_floatValue, boolValue = J.Boolean_booleanValue;
  for (jsize i = 0; i < n; i++) {
    jstring name = (jstring)(*env)->GetObjectArrayElement(env, names, i);
    jobject value = (*env)->GetObjectArrayElement(env, values, i);
    in->refs[2 * i] = name;
    in->refs[2 * i + 1] = value;
    in->cnames[i] = (*env)->GetStringUTFChars(env, name, NULL);
    if (in->cnames[i] == NULL) return 0;
    PJRT_NamedValue *v = &in->nv[i];
    v->struct_size = PJRT_NamedValue_STRUCT_SIZE;
    v->name = in->cnames[i];
    v->name_size = strlen(in->cnames[i]);
    if ((*env)->IsInstanceOf(env, value, cString)) {
      in->cstrs[i] = (*env)->GetStringUTFChars(env, (jstring)value, NULL);
      if (in->cstrs[i] == NULL) return 0;
      v->type = PJRT_NamedValue_kString;
      v->string_value = in->cstrs[i];
      v->value_size = strlen(in->cstrs[i]);
    } else if ((*env)->IsInstanceOf(env, value, cFloat) || (*env)->IsInstanceOf(env, value, cDouble)) {
      v->type = PJRT_NamedValue_kFloat;
      v->float_value = (*env)->CallFloatMethod(env, value, floatValue);
      v->value_size = 1;
    } else if ((*env)->IsInstanceOf(env, value, cNumber)) {
      v->type = PJRT_NamedValue_kInt64;
      v->int64_value = (*env)->CallLongMethod(env, value, longValue);
      v->value_size = 1;
    } else if ((*env)->IsInstanceOf(env, value, cBool)) {
      v->type = PJRT_NamedValue_kBool;
      v->bool_value = (*env)->CallBooleanMethod(env, value, boolValue);
      v->value_size = 1;
    } else if ((*env)->IsInstanceOf(env, value, cLongArr)) {
      jsize len = (*env)->GetArrayLength(env, (jlongArray)value);
      in->arrays[i] = calloc(len > 0 ? (size_t)len : 1, sizeof(int64_t));
      if (in->arrays[i] == NULL) {
        throw_class(env, "java/lang/OutOfMemoryError", "named values");
        return 0;
      }
      (*env)->GetLongArrayRegion(env, (jlongArray)value, 0, len, (jlong *)in->arrays[i]);
      v->type = PJRT_NamedValue_kInt64List;
      v->int64_array_value = in->arrays[i];
      v->value_size = (size_t)len;
    } else {
      throw_class(env, "java/lang/IllegalArgumentException", "unsupported named value type");
      return 0;
    }
    if ((*env)->ExceptionCheck(env)) return 0;
  }
  return 1;
}

/* ------------------------------------------------------------------ client */

/* names[i] with values[i] of type String, Long/Integer, long[], Float/Double or Boolean. */
JNIFN(jlong, clientCreate)(JNIEnv *env, jclass cls, jlong api, jobjectArray names, jobjectArray values) {
  (void)cls;
  NamedValuesIn in;
  jlong result = 0;
  if (named_values_in(env, names, values, &in)) {
    INIT_ARGS(PJRT_Client_Create_Args, a);
    a.create_options = in.nv;
    a.num_options = (size_t)in.n;
    if (!check(env, API(api), API(api)->PJRT_Client_Create(&a))) result = HANDLE(a.client);
  }
  named_values_free(env, &in);
  return result;
}

JNIFN(void, clientDestroy)(JNIEnv *env, jclass cls, jlong api, jlong client) {
  (void)cls;
  INIT_ARGS(PJRT_Client_Destroy_Args, a);
  a.client = PTR(PJRT_Client, client);
  check(env, API(api), API(api)->PJRT_Client_Destroy(&a));
}

/* {platformName, platformVersion, processIndex} */
JNIFN(jobjectArray, clientInfo)(JNIEnv *env, jclass cls, jlong api, jlong client) {
  (void)cls;
  const PJRT_Api *p = API(api);
  INIT_ARGS(PJRT_Client_PlatformName_Args, n);
  n.client = PTR(PJRT_Client, client);
  if (check(env, p, p->PJRT_Client_PlatformName(&n))) return NULL;
  INIT_ARGS(PJRT_Client_PlatformVersion_Args, v);
  v.client = PTR(PJRT_Client, client);
  if (check(env, p, p->PJRT_Client_PlatformVersion(&v))) return NULL;
  INIT_ARGS(PJRT_Client_ProcessIndex_Args, pi);
  pi.client = PTR(PJRT_Client, client);
  if (check(env, p, p->PJRT_Client_ProcessIndex(&pi))) return NULL;
  jobjectArray out = new_object_array(env, 3);
  if (out == NULL) return NULL;
  (*env)->SetObjectArrayElement(env, out, 0, new_string(env, n.platform_name, n.platform_name_size));
  (*env)->SetObjectArrayElement(env, out, 1, new_string(env, v.platform_version, v.platform_version_size));
  (*env)->SetObjectArrayElement(env, out, 2, box_int(env, pi.process_index));
  return out;
}

JNIFN(jlongArray, clientDevices)(JNIEnv *env, jclass cls, jlong api, jlong client, jboolean addressable) {
  (void)cls;
  const PJRT_Api *p = API(api);
  if (addressable) {
    INIT_ARGS(PJRT_Client_AddressableDevices_Args, a);
    a.client = PTR(PJRT_Client, client);
    if (check(env, p, p->PJRT_Client_AddressableDevices(&a))) return NULL;
    return new_ptr_array(env, (void *const *)a.addressable_devices, a.num_addressable_devices);
  }
  INIT_ARGS(PJRT_Client_Devices_Args, a);
  a.client = PTR(PJRT_Client, client);
  if (check(env, p, p->PJRT_Client_Devices(&a))) return NULL;
  return new_ptr_array(env, (void *const *)a.devices, a.num_devices);
}

/* {Integer id, String kind, String debugString, String toString, Integer processIndex,
 *  Boolean addressable, Integer localHardwareId, Object[] attributes, long[] memories,
 *  Long defaultMemory} */
JNIFN(jobjectArray, deviceInfo)(JNIEnv *env, jclass cls, jlong api, jlong device) {
  (void)cls;
  const PJRT_Api *p = API(api);
  PJRT_Device *dev = PTR(PJRT_Device, device);
  INIT_ARGS(PJRT_Device_GetDescription_Args, gd);
  gd.device = dev;
  if (check(env, p, p->PJRT_Device_GetDescription(&gd))) return NULL;
  PJRT_DeviceDescription *dd = gd.device_description;
  INIT_ARGS(PJRT_DeviceDescription_Id_Args, id);
  id.device_description = dd;
  if (check(env, p, p->PJRT_DeviceDescription_Id(&id))) return NULL;
  INIT_ARGS(PJRT_DeviceDescription_Kind_Args, kind);
  kind.device_description = dd;
  if (check(env, p, p->PJRT_DeviceDescription_Kind(&kind))) return NULL;
  INIT_ARGS(PJRT_DeviceDescription_DebugString_Args, dbg);
  dbg.device_description = dd;
  if (check(env, p, p->PJRT_DeviceDescription_DebugString(&dbg))) return NULL;
  INIT_ARGS(PJRT_DeviceDescription_ToString_Args, ts);
  ts.device_description = dd;
  if (check(env, p, p->PJRT_DeviceDescription_ToString(&ts))) return NULL;
  INIT_ARGS(PJRT_DeviceDescription_ProcessIndex_Args, pi);
  pi.device_description = dd;
  if (check(env, p, p->PJRT_DeviceDescription_ProcessIndex(&pi))) return NULL;
  INIT_ARGS(PJRT_DeviceDescription_Attributes_Args, at);
  at.device_description = dd;
  if (check(env, p, p->PJRT_DeviceDescription_Attributes(&at))) return NULL;
  INIT_ARGS(PJRT_Device_IsAddressable_Args, ad);
  ad.device = dev;
  if (check(env, p, p->PJRT_Device_IsAddressable(&ad))) return NULL;
  jint hw = -1;
  jlongArray mems = NULL;
  jlong defmem = 0;
  if (ad.is_addressable) {
    INIT_ARGS(PJRT_Device_LocalHardwareId_Args, lh);
    lh.device = dev;
    if (check(env, p, p->PJRT_Device_LocalHardwareId(&lh))) return NULL;
    hw = lh.local_hardware_id;
    INIT_ARGS(PJRT_Device_AddressableMemories_Args, am);
    am.device = dev;
    if (check(env, p, p->PJRT_Device_AddressableMemories(&am))) return NULL;
    mems = new_ptr_array(env, (void *const *)am.memories, am.num_memories);
    INIT_ARGS(PJRT_Device_DefaultMemory_Args, dm);
    dm.device = dev;
    PJRT_Error *e = p->PJRT_Device_DefaultMemory(&dm);
    if (e != NULL) {
      INIT_ARGS(PJRT_Error_Destroy_Args, d);
      d.error = e;
      p->PJRT_Error_Destroy(&d);
    } else {
      defmem = HANDLE(dm.memory);
    }
  } else {
    mems = (*env)->NewLongArray(env, 0);
  }
  jobjectArray attrs = named_values(env, at.attributes, at.num_attributes);
  if ((*env)->ExceptionCheck(env)) return NULL;
  jobjectArray out = new_object_array(env, 10);
  if (out == NULL) return NULL;
  (*env)->SetObjectArrayElement(env, out, 0, box_int(env, id.id));
  (*env)->SetObjectArrayElement(env, out, 1, new_string(env, kind.device_kind, kind.device_kind_size));
  (*env)->SetObjectArrayElement(env, out, 2, new_string(env, dbg.debug_string, dbg.debug_string_size));
  (*env)->SetObjectArrayElement(env, out, 3, new_string(env, ts.to_string, ts.to_string_size));
  (*env)->SetObjectArrayElement(env, out, 4, box_int(env, pi.process_index));
  (*env)->SetObjectArrayElement(env, out, 5, box_bool(env, ad.is_addressable));
  (*env)->SetObjectArrayElement(env, out, 6, box_int(env, hw));
  (*env)->SetObjectArrayElement(env, out, 7, attrs);
  (*env)->SetObjectArrayElement(env, out, 8, mems);
  (*env)->SetObjectArrayElement(env, out, 9, box_long(env, defmem));
  return out;
}

/* {Integer id, String kind, String debugString, String toString} */
JNIFN(jobjectArray, memoryInfo)(JNIEnv *env, jclass cls, jlong api, jlong memory) {
  (void)cls;
  const PJRT_Api *p = API(api);
  PJRT_Memory *mem = PTR(PJRT_Memory, memory);
  INIT_ARGS(PJRT_Memory_Id_Args, id);
  id.memory = mem;
  if (check(env, p, p->PJRT_Memory_Id(&id))) return NULL;
  INIT_ARGS(PJRT_Memory_Kind_Args, kind);
  kind.memory = mem;
  if (check(env, p, p->PJRT_Memory_Kind(&kind))) return NULL;
  INIT_ARGS(PJRT_Memory_DebugString_Args, dbg);
  dbg.memory = mem;
  if (check(env, p, p->PJRT_Memory_DebugString(&dbg))) return NULL;
  INIT_ARGS(PJRT_Memory_ToString_Args, ts);
  ts.memory = mem;
  if (check(env, p, p->PJRT_Memory_ToString(&ts))) return NULL;
  jobjectArray out = new_object_array(env, 4);
  if (out == NULL) return NULL;
  (*env)->SetObjectArrayElement(env, out, 0, box_int(env, id.id));
  (*env)->SetObjectArrayElement(env, out, 1, new_string(env, kind.kind, kind.kind_size));
  (*env)->SetObjectArrayElement(env, out, 2, new_string(env, dbg.debug_string, dbg.debug_string_size));
  (*env)->SetObjectArrayElement(env, out, 3, new_string(env, ts.to_string, ts.to_string_size));
  return out;
}

/* ------------------------------------------------------------- executables */

/* A compile call's program text, format and serialized options, pinned for the call's duration, and the
 * PJRT_Program over them: what clientCompile and topologyCompile share. */
typedef struct {
  jbyteArray code_array;
  jbyteArray options_array;
  jstring format_string;
  jbyte *code;
  jbyte *options;
  const char *format;
  size_t options_size;
  PJRT_Program program;
} compile_input;

/* Pins the arguments; returns 1 when all are pinned, else 0 with a Java exception pending.
 * release_compile_input undoes it either way. */
static int pin_compile_input(JNIEnv *env, compile_input *in, jbyteArray code, jstring format, jbyteArray options) {
  memset(in, 0, sizeof(*in));
  in->code_array = code;
  in->options_array = options;
  in->format_string = format;
  jsize code_len = (*env)->GetArrayLength(env, code);
  in->options_size = (size_t)(*env)->GetArrayLength(env, options);
  in->code = (*env)->GetByteArrayElements(env, code, NULL);
  in->options = (*env)->GetByteArrayElements(env, options, NULL);
  in->format = (*env)->GetStringUTFChars(env, format, NULL);
  if (in->code == NULL || in->options == NULL || in->format == NULL) return 0;
  in->program.struct_size = PJRT_Program_STRUCT_SIZE;
  in->program.code = (char *)in->code;
  in->program.code_size = (size_t)code_len;
  in->program.format = in->format;
  in->program.format_size = strlen(in->format);
  return 1;
}

static void release_compile_input(JNIEnv *env, compile_input *in) {
  if (in->format != NULL) (*env)->ReleaseStringUTFChars(env, in->format_string, in->format);
  if (in->options != NULL) (*env)->ReleaseByteArrayElements(env, in->options_array, in->options, JNI_ABORT);
  if (in->code != NULL) (*env)->ReleaseByteArrayElements(env, in->code_array, in->code, JNI_ABORT);
}

JNIFN(jlong, clientCompile)(JNIEnv *env, jclass cls, jlong api, jlong client, jbyteArray code,
                            jstring format, jbyteArray options) {
  (void)cls;
  compile_input in;
  jlong result = 0;
  if (pin_compile_input(env, &in, code, format, options)) {
    INIT_ARGS(PJRT_Client_Compile_Args, a);
    a.client = PTR(PJRT_Client, client);
    a.program = &in.program;
    a.compile_options = (const char *)in.options;
    a.compile_options_size = in.options_size;
    if (!check(env, API(api), API(api)->PJRT_Client_Compile(&a))) result = HANDLE(a.executable);
  }
  release_compile_input(env, &in);
  return result;
}

JNIFN(void, loadedExecutableDestroy)(JNIEnv *env, jclass cls, jlong api, jlong exe) {
  (void)cls;
  INIT_ARGS(PJRT_LoadedExecutable_Destroy_Args, a);
  a.executable = PTR(PJRT_LoadedExecutable, exe);
  check(env, API(api), API(api)->PJRT_LoadedExecutable_Destroy(&a));
}

JNIFN(jlong, loadedExecutableGetExecutable)(JNIEnv *env, jclass cls, jlong api, jlong exe) {
  (void)cls;
  INIT_ARGS(PJRT_LoadedExecutable_GetExecutable_Args, a);
  a.loaded_executable = PTR(PJRT_LoadedExecutable, exe);
  if (check(env, API(api), API(api)->PJRT_LoadedExecutable_GetExecutable(&a))) return 0;
  return HANDLE(a.executable);
}

JNIFN(jlongArray, loadedExecutableAddressableDevices)(JNIEnv *env, jclass cls, jlong api, jlong exe) {
  (void)cls;
  INIT_ARGS(PJRT_LoadedExecutable_AddressableDevices_Args, a);
  a.executable = PTR(PJRT_LoadedExecutable, exe);
  if (check(env, API(api), API(api)->PJRT_LoadedExecutable_AddressableDevices(&a))) return NULL;
  return new_ptr_array(env, (void *const *)a.addressable_devices, a.num_addressable_devices);
}

JNIFN(void, executableDestroy)(JNIEnv *env, jclass cls, jlong api, jlong exe) {
  (void)cls;
  INIT_ARGS(PJRT_Executable_Destroy_Args, a);
  a.executable = PTR(PJRT_Executable, exe);
  check(env, API(api), API(api)->PJRT_Executable_Destroy(&a));
}

/* {String name, Integer numReplicas, Integer numPartitions, int[] outputTypes, long[][] outputDims} */
JNIFN(jobjectArray, executableInfo)(JNIEnv *env, jclass cls, jlong api, jlong exe) {
  (void)cls;
  const PJRT_Api *p = API(api);
  PJRT_Executable *e = PTR(PJRT_Executable, exe);
  INIT_ARGS(PJRT_Executable_Name_Args, nm);
  nm.executable = e;
  if (check(env, p, p->PJRT_Executable_Name(&nm))) return NULL;
  INIT_ARGS(PJRT_Executable_NumReplicas_Args, nr);
  nr.executable = e;
  if (check(env, p, p->PJRT_Executable_NumReplicas(&nr))) return NULL;
  INIT_ARGS(PJRT_Executable_NumPartitions_Args, np);
  np.executable = e;
  if (check(env, p, p->PJRT_Executable_NumPartitions(&np))) return NULL;
  INIT_ARGS(PJRT_Executable_NumOutputs_Args, no);
  no.executable = e;
  if (check(env, p, p->PJRT_Executable_NumOutputs(&no))) return NULL;
  INIT_ARGS(PJRT_Executable_OutputElementTypes_Args, ot);
  ot.executable = e;
  if (check(env, p, p->PJRT_Executable_OutputElementTypes(&ot))) return NULL;
  INIT_ARGS(PJRT_Executable_OutputDimensions_Args, od);
  od.executable = e;
  od.num_outputs = no.num_outputs;
  if (check(env, p, p->PJRT_Executable_OutputDimensions(&od))) return NULL;

  jintArray types = (*env)->NewIntArray(env, (jsize)ot.num_output_types);
  if (types == NULL) return NULL;
  for (size_t i = 0; i < ot.num_output_types; i++) {
    jint t = (jint)ot.output_types[i];
    (*env)->SetIntArrayRegion(env, types, (jsize)i, 1, &t);
  }
  jobjectArray dims = (*env)->NewObjectArray(env, (jsize)no.num_outputs, J.LongArray, NULL);
  if (dims == NULL) return NULL;
  size_t off = 0;
  for (size_t i = 0; i < no.num_outputs; i++) {
    jlongArray d = new_long_array(env, od.dims + off, od.dim_sizes[i]);
    if (d == NULL) return NULL;
    off += od.dim_sizes[i];
    (*env)->SetObjectArrayElement(env, dims, (jsize)i, d);
    (*env)->DeleteLocalRef(env, d);
  }
  jobjectArray out = new_object_array(env, 5);
  if (out == NULL) return NULL;
  (*env)->SetObjectArrayElement(env, out, 0, new_string(env, nm.executable_name, nm.executable_name_size));
  (*env)->SetObjectArrayElement(env, out, 1, box_int(env, (jint)nr.num_replicas));
  (*env)->SetObjectArrayElement(env, out, 2, box_int(env, (jint)np.num_partitions));
  (*env)->SetObjectArrayElement(env, out, 3, types);
  (*env)->SetObjectArrayElement(env, out, 4, dims);
  return out;
}

JNIFN(jbyteArray, executableSerialize)(JNIEnv *env, jclass cls, jlong api, jlong exe) {
  (void)cls;
  INIT_ARGS(PJRT_Executable_Serialize_Args, a);
  a.executable = PTR(PJRT_Executable, exe);
  if (check(env, API(api), API(api)->PJRT_Executable_Serialize(&a))) return NULL;
  jbyteArray out = (*env)->NewByteArray(env, (jsize)a.serialized_bytes_size);
  if (out != NULL)
    (*env)->SetByteArrayRegion(env, out, 0, (jsize)a.serialized_bytes_size, (const jbyte *)a.serialized_bytes);
  if (a.serialized_executable_deleter != NULL) a.serialized_executable_deleter(a.serialized_executable);
  return out;
}

JNIFN(jlong, executableDeserializeAndLoad)(JNIEnv *env, jclass cls, jlong api, jlong client,
                                           jbyteArray bytes, jbyteArray options) {
  (void)cls;
  jsize len = (*env)->GetArrayLength(env, bytes);
  jbyte *b = (*env)->GetByteArrayElements(env, bytes, NULL);
  jbyte *o = options != NULL ? (*env)->GetByteArrayElements(env, options, NULL) : NULL;
  jlong result = 0;
  if (b != NULL && (options == NULL || o != NULL)) {
    INIT_ARGS(PJRT_Executable_DeserializeAndLoad_Args, a);
    a.client = PTR(PJRT_Client, client);
    a.serialized_executable = (const char *)b;
    a.serialized_executable_size = (size_t)len;
    if (o != NULL) {
      a.overridden_serialized_compile_options = (const char *)o;
      a.overridden_serialized_compile_options_size = (size_t)(*env)->GetArrayLength(env, options);
    }
    if (!check(env, API(api), API(api)->PJRT_Executable_DeserializeAndLoad(&a))) result = HANDLE(a.loaded_executable);
  }
  if (o != NULL) (*env)->ReleaseByteArrayElements(env, options, o, JNI_ABORT);
  if (b != NULL) (*env)->ReleaseByteArrayElements(env, bytes, b, JNI_ABORT);
  return result;
}

/* When `ev` is already ready without an error, destroys it and returns 1; the caller
 * then reports 0 ("nothing to wait for") to Java. A failed or pending event is left
 * to Java, which waits for it and names the operation in its error. */
static int consume_if_done(const PJRT_Api *p, PJRT_Event *ev) {
  if (ev == NULL) return 1;
  INIT_ARGS(PJRT_Event_IsReady_Args, r);
  r.event = ev;
  PJRT_Error *err = p->PJRT_Event_IsReady(&r);
  if (err != NULL) {
    INIT_ARGS(PJRT_Error_Destroy_Args, d);
    d.error = err;
    p->PJRT_Error_Destroy(&d);
    return 0;
  }
  if (!r.is_ready) return 0;
  INIT_ARGS(PJRT_Event_Error_Args, e);
  e.event = ev;
  err = p->PJRT_Event_Error(&e);
  if (err != NULL) {
    INIT_ARGS(PJRT_Error_Destroy_Args, d);
    d.error = err;
    p->PJRT_Error_Destroy(&d);
    return 0;
  }
  INIT_ARGS(PJRT_Event_Destroy_Args, d);
  d.event = ev;
  p->PJRT_Event_Destroy(&d);
  return 1;
}

/* args: the buffer handles device-major (numDevices x numArgs). Writes into `out`
 * (numDevices*numOutputs + numDevices longs) the output buffers device-major, then one
 * completion event per device, 0 where the device had already finished without error.
 * One block of scratch memory, on the stack for the usual small call. */
JNIFN(void, execute)(JNIEnv *env, jclass cls, jlong api, jlong exe, jlongArray args, jint num_devices,
                     jint num_outputs, jlong execute_device, jlongArray out) {
  (void)cls;
  const PJRT_Api *p = API(api);
  size_t nd = (size_t)num_devices;
  size_t no = (size_t)num_outputs;
  size_t total = (size_t)(*env)->GetArrayLength(env, args);
  if (nd == 0 || total % nd != 0 || (size_t)(*env)->GetArrayLength(env, out) != nd * no + nd) {
    throw_class(env, "java/lang/IllegalArgumentException", "execute: inconsistent argument or result sizes");
    return;
  }
  size_t na = total / nd;
  /* layout: jlong flat[nd*no+nd] | jlong handles[nd*na] | PJRT_Buffer *args[nd*na] | *outs[nd*no]
   *         | PJRT_Buffer **arg_lists[nd] | **out_lists[nd] | PJRT_Event *events[nd] */
  size_t words = (nd * no + nd) + nd * na + nd * na + nd * no + 3 * nd;
  jlong stack[256];
  jlong *mem = words <= sizeof stack / sizeof *stack ? stack : malloc(words * sizeof(jlong));
  if (mem == NULL) {
    throw_class(env, "java/lang/OutOfMemoryError", "execute");
    return;
  }
  memset(mem, 0, words * sizeof(jlong));
  jlong *flat = mem;
  jlong *handles = flat + nd * no + nd;
  PJRT_Buffer **arg_bufs = (PJRT_Buffer **)(handles + nd * na);
  PJRT_Buffer **out_bufs = arg_bufs + nd * na;
  PJRT_Buffer ***arg_lists = (PJRT_Buffer ***)(out_bufs + nd * no);
  PJRT_Buffer ***out_lists = arg_lists + nd;
  PJRT_Event **events = (PJRT_Event **)(out_lists + nd);
  (*env)->GetLongArrayRegion(env, args, 0, (jsize)total, handles);
  for (size_t k = 0; k < nd * na; k++) arg_bufs[k] = PTR(PJRT_Buffer, handles[k]);
  for (size_t d = 0; d < nd; d++) {
    arg_lists[d] = arg_bufs + d * na;
    out_lists[d] = out_bufs + d * no;
  }
  INIT_ARGS(PJRT_ExecuteOptions, opts);
  INIT_ARGS(PJRT_LoadedExecutable_Execute_Args, a);
  a.executable = PTR(PJRT_LoadedExecutable, exe);
  a.options = &opts;
  a.argument_lists = (PJRT_Buffer *const *const *)arg_lists;
  a.num_devices = nd;
  a.num_args = na;
  a.output_lists = (PJRT_Buffer **const *)out_lists;
  a.device_complete_events = events;
  a.execute_device = PTR(PJRT_Device, execute_device);
  if (!check(env, p, p->PJRT_LoadedExecutable_Execute(&a))) {
    for (size_t k = 0; k < nd * no; k++) flat[k] = HANDLE(out_bufs[k]);
    for (size_t d = 0; d < nd; d++) flat[nd * no + d] = consume_if_done(p, events[d]) ? 0 : HANDLE(events[d]);
    (*env)->SetLongArrayRegion(env, out, 0, (jsize)(nd * no + nd), flat);
  }
  if (mem != stack) free(mem);
}

/* ----------------------------------------------------------------- buffers */

/* Copies `data` (a direct ByteBuffer, dense row-major) to `device` (or `memory` if non-zero);
 * the host data is only read during the call. With `done` (a long[1]) and data aligned to
 * 64 bytes, asks for kImmutableZeroCopy instead: the plugin may then alias the host memory
 * for the buffer's lifetime, and done[0] receives the done-with-host-buffer event, which
 * the caller must await (after destroying the buffer) before the memory may go. done[0]
 * is 0 when the plugin copied after all (its event was ready at once). */
JNIFN(jlong, bufferFromHost)(JNIEnv *env, jclass cls, jlong api, jlong client, jobject data, jlong offset,
                             jint type, jlongArray jdims, jlong device, jlong memory, jlongArray done) {
  (void)cls;
  const PJRT_Api *p = API(api);
  char *base = (char *)(*env)->GetDirectBufferAddress(env, data);
  if (base == NULL) {
    throw_class(env, "java/lang/IllegalArgumentException", "host buffer must be a direct ByteBuffer");
    return 0;
  }
  jsize nd = (*env)->GetArrayLength(env, jdims);
  int64_t dims[64];
  if (nd > 64) {
    throw_class(env, "java/lang/IllegalArgumentException", "at most 64 dimensions");
    return 0;
  }
  (*env)->GetLongArrayRegion(env, jdims, 0, nd, (jlong *)dims);
  INIT_ARGS(PJRT_Client_BufferFromHostBuffer_Args, a);
  a.client = PTR(PJRT_Client, client);
  a.data = base + offset;
  a.type = (PJRT_Buffer_Type)type;
  a.dims = dims;
  a.num_dims = (size_t)nd;
  int zero_copy = done != NULL && ((uintptr_t)a.data & 63) == 0;
  a.host_buffer_semantics =
      zero_copy ? PJRT_HostBufferSemantics_kImmutableZeroCopy : PJRT_HostBufferSemantics_kImmutableOnlyDuringCall;
  a.device = PTR(PJRT_Device, device);
  a.memory = PTR(PJRT_Memory, memory);
  if (check(env, p, p->PJRT_Client_BufferFromHostBuffer(&a))) return 0;
  if (zero_copy) {
    jlong ev = consume_if_done(p, a.done_with_host_buffer) ? 0 : HANDLE(a.done_with_host_buffer);
    (*env)->SetLongArrayRegion(env, done, 0, 1, &ev);
    return HANDLE(a.buffer);
  }
  if (done != NULL) {
    jlong none = 0;
    (*env)->SetLongArrayRegion(env, done, 0, 1, &none);
  }
  if (a.done_with_host_buffer != NULL) {
    /* kImmutableOnlyDuringCall: the data has been consumed already; the event
     * is ready or irrelevant, wait for it anyway to honour the contract. */
    INIT_ARGS(PJRT_Event_Await_Args, w);
    w.event = a.done_with_host_buffer;
    PJRT_Error *err = p->PJRT_Event_Await(&w);
    INIT_ARGS(PJRT_Event_Destroy_Args, d);
    d.event = a.done_with_host_buffer;
    p->PJRT_Event_Destroy(&d);
    if (check(env, p, err)) {
      INIT_ARGS(PJRT_Buffer_Destroy_Args, bd);
      bd.buffer = a.buffer;
      p->PJRT_Buffer_Destroy(&bd);
      return 0;
    }
  }
  return HANDLE(a.buffer);
}

JNIFN(void, bufferDestroy)(JNIEnv *env, jclass cls, jlong api, jlong buf) {
  (void)cls;
  INIT_ARGS(PJRT_Buffer_Destroy_Args, a);
  a.buffer = PTR(PJRT_Buffer, buf);
  check(env, API(api), API(api)->PJRT_Buffer_Destroy(&a));
}

/* long[]{elementType, device, dims...} */
JNIFN(jlongArray, bufferInfo)(JNIEnv *env, jclass cls, jlong api, jlong buf) {
  (void)cls;
  const PJRT_Api *p = API(api);
  PJRT_Buffer *b = PTR(PJRT_Buffer, buf);
  INIT_ARGS(PJRT_Buffer_ElementType_Args, t);
  t.buffer = b;
  if (check(env, p, p->PJRT_Buffer_ElementType(&t))) return NULL;
  INIT_ARGS(PJRT_Buffer_Dimensions_Args, d);
  d.buffer = b;
  if (check(env, p, p->PJRT_Buffer_Dimensions(&d))) return NULL;
  INIT_ARGS(PJRT_Buffer_Device_Args, dv);
  dv.buffer = b;
  if (check(env, p, p->PJRT_Buffer_Device(&dv))) return NULL;
  jlongArray out = (*env)->NewLongArray(env, (jsize)(2 + d.num_dims));
  if (out == NULL) return NULL;
  jlong head[2] = {(jlong)t.type, HANDLE(dv.device)};
  (*env)->SetLongArrayRegion(env, out, 0, 2, head);
  if (d.num_dims > 0) (*env)->SetLongArrayRegion(env, out, 2, (jsize)d.num_dims, (const jlong *)d.dims);
  return out;
}

JNIFN(jlong, bufferOnDeviceSize)(JNIEnv *env, jclass cls, jlong api, jlong buf) {
  (void)cls;
  INIT_ARGS(PJRT_Buffer_OnDeviceSizeInBytes_Args, s);
  s.buffer = PTR(PJRT_Buffer, buf);
  if (check(env, API(api), API(api)->PJRT_Buffer_OnDeviceSizeInBytes(&s))) return -1;
  return (jlong)s.on_device_size_in_bytes;
}

/* Size in bytes of the dense host copy of `buf`. */
JNIFN(jlong, bufferHostSize)(JNIEnv *env, jclass cls, jlong api, jlong buf) {
  (void)cls;
  INIT_ARGS(PJRT_Buffer_ToHostBuffer_Args, a);
  a.src = PTR(PJRT_Buffer, buf);
  a.dst = NULL;
  if (check(env, API(api), API(api)->PJRT_Buffer_ToHostBuffer(&a))) return -1;
  return (jlong)a.dst_size;
}

/* Starts the copy of `buf` into the direct ByteBuffer `dst` at `offset`; returns the
 * event to await (0 if the copy is already done). `dst` must stay reachable until the
 * event is ready. */
JNIFN(jlong, bufferToHost)(JNIEnv *env, jclass cls, jlong api, jlong buf, jobject dst, jlong offset, jlong size) {
  (void)cls;
  char *base = (char *)(*env)->GetDirectBufferAddress(env, dst);
  if (base == NULL) {
    throw_class(env, "java/lang/IllegalArgumentException", "destination must be a direct ByteBuffer");
    return 0;
  }
  INIT_ARGS(PJRT_Buffer_ToHostBuffer_Args, a);
  a.src = PTR(PJRT_Buffer, buf);
  a.dst = base + offset;
  a.dst_size = (size_t)size;
  if (check(env, API(api), API(api)->PJRT_Buffer_ToHostBuffer(&a))) return 0;
  return consume_if_done(API(api), a.event) ? 0 : HANDLE(a.event);
}

/* ------------------------------------------------------------------ events */

JNIFN(jboolean, eventIsReady)(JNIEnv *env, jclass cls, jlong api, jlong ev) {
  (void)cls;
  INIT_ARGS(PJRT_Event_IsReady_Args, a);
  a.event = PTR(PJRT_Event, ev);
  if (check(env, API(api), API(api)->PJRT_Event_IsReady(&a))) return JNI_TRUE;
  return a.is_ready ? JNI_TRUE : JNI_FALSE;
}

/* Throws the event's error, if any. Only for a ready event. */
JNIFN(void, eventCheck)(JNIEnv *env, jclass cls, jlong api, jlong ev) {
  (void)cls;
  INIT_ARGS(PJRT_Event_Error_Args, a);
  a.event = PTR(PJRT_Event, ev);
  check(env, API(api), API(api)->PJRT_Event_Error(&a));
}

/* A blocking wait in bounded slices: a callback registered once with PJRT_Event_OnReady
 * sets a flag and signals a condition variable. The Waiter is shared by the Java caller
 * (eventWaiter ... waiterRelease, in a try/finally) and the callback, and freed by the last
 * of them, so a wait abandoned before the event fires leaves the callback nothing dangling. */
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  const PJRT_Api *api;
  int ready;
  int refs;
} Waiter;

static void waiter_unref(Waiter *w) {
  pthread_mutex_lock(&w->mu);
  int left = --w->refs;
  pthread_mutex_unlock(&w->mu);
  if (left == 0) {
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
  }
}

static void waiter_on_ready(PJRT_Error *error, void *arg) {
  Waiter *w = (Waiter *)arg;
  if (error != NULL) {
    INIT_ARGS(PJRT_Error_Destroy_Args, d);
    d.error = error;
    w->api->PJRT_Error_Destroy(&d);
  }
  pthread_mutex_lock(&w->mu);
  __atomic_store_n(&w->ready, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  waiter_unref(w);
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A Waiter on `ev`, to pass to waiterWait and then to waiterRelease; 0 when the plugin
 * refuses PJRT_Event_OnReady (the caller then polls PJRT_Event_IsReady). */
JNIFN(jlong, eventWaiter)(JNIEnv *env, jclass cls, jlong api, jlong ev) {
  (void)cls;
  const PJRT_Api *p = API(api);
  Waiter *w = calloc(1, sizeof *w);
  if (w == NULL) {
    throw_class(env, "java/lang/OutOfMemoryError", "event wait");
    return 0;
  }
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&w->cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&w->mu, NULL);
  w->api = p;
  w->refs = 2; /* the Java caller and the callback */
  INIT_ARGS(PJRT_Event_OnReady_Args, a);
  a.event = PTR(PJRT_Event, ev);
  a.callback = waiter_on_ready;
  a.user_arg = w;
  PJRT_Error *err = p->PJRT_Event_OnReady(&a);
  if (err != NULL) {
    INIT_ARGS(PJRT_Error_Destroy_Args, d);
    d.error = err;
    p->PJRT_Error_Destroy(&d);
    w->refs = 1; /* the callback was not registered */
    waiter_unref(w);
    return 0;
  }
  return HANDLE(w);
}

/* Waits at most `nanos` for the waiter's event; returns whether it fired. For up to
 * `spin_nanos` it spins on the waiter's own flag (not on PJRT_Event_IsReady, which would
 * contend with the thread completing the event), then sleeps in the kernel; it comes back
 * to Java at least every `nanos` so that the thread sees interrupts. */
JNIFN(jboolean, waiterWait)(JNIEnv *env, jclass cls, jlong waiter, jlong spin_nanos, jlong nanos) {
  (void)env;
  (void)cls;
  Waiter *w = PTR(Waiter, waiter);
  if (spin_nanos > 0) {
    int64_t end = mono_ns() + spin_nanos;
    for (unsigned i = 1; !__atomic_load_n(&w->ready, __ATOMIC_ACQUIRE); i++) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if ((i & 63) == 0 && mono_ns() >= end) break;
    }
  }
  if (__atomic_load_n(&w->ready, __ATOMIC_ACQUIRE)) return JNI_TRUE;
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += (time_t)(nanos / 1000000000L);
  until.tv_nsec += (long)(nanos % 1000000000L);
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&w->mu);
  while (!w->ready) {
    if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT) break;
  }
  int ready = w->ready;
  pthread_mutex_unlock(&w->mu);
  return ready ? JNI_TRUE : JNI_FALSE;
}

JNIFN(void, waiterRelease)(JNIEnv *env, jclass cls, jlong waiter) {
  (void)env;
  (void)cls;
  if (waiter != 0) waiter_unref(PTR(Waiter, waiter));
}

/* Blocking wait; used only by the background reaper for abandoned events. */
JNIFN(void, eventAwait)(JNIEnv *env, jclass cls, jlong api, jlong ev) {
  (void)cls;
  INIT_ARGS(PJRT_Event_Await_Args, a);
  a.event = PTR(PJRT_Event, ev);
  check(env, API(api), API(api)->PJRT_Event_Await(&a));
}

JNIFN(void, eventDestroy)(JNIEnv *env, jclass cls, jlong api, jlong ev) {
  (void)cls;
  INIT_ARGS(PJRT_Event_Destroy_Args, a);
  a.event = PTR(PJRT_Event, ev);
  check(env, API(api), API(api)->PJRT_Event_Destroy(&a));
}

/* --------------------------------------------------------------- environment */

/* setenv(name, value, overwrite); returns the value before, or NULL when it was unset.
 * Without overwrite (a value already there wins): settings libtpu reads from the process
 * environment when it loads (TPU_SKIP_MDS_QUERY ...), which Java cannot set. With it: a setting
 * read when a client is created (XLA CPU's PJRT_NPROC, the size of its thread pool), set just
 * for that; the caller restores it by setting it again (an empty value where it was unset)
 * rather than unsetenv: overwriting a variable that exists replaces one entry in place, whereas
 * adding one may move the environment array under a getenv on another thread. */
JNIFN(jstring, setEnvironment)(JNIEnv *env, jclass cls, jstring jname, jstring jvalue, jboolean overwrite) {
  (void)cls;
  const char *name = (*env)->GetStringUTFChars(env, jname, NULL);
  if (name == NULL) return NULL;
  const char *value = (*env)->GetStringUTFChars(env, jvalue, NULL);
  if (value == NULL) {
    (*env)->ReleaseStringUTFChars(env, jname, name);
    return NULL;
  }
  const char *before = getenv(name);
  jstring out = before != NULL ? (*env)->NewStringUTF(env, before) : NULL;
  if (!(*env)->ExceptionCheck(env) && setenv(name, value, overwrite ? 1 : 0) != 0) {
    throw_class(env, "java/lang/IllegalArgumentException", "setenv failed");
  }
  (*env)->ReleaseStringUTFChars(env, jvalue, value);
  (*env)->ReleaseStringUTFChars(env, jname, name);
  return out;
}

/* ---------------------------------------------------------------- topology */

/* A plugin that predates a function leaves its slot outside its PJRT_Api (or NULL). */
#define HAS_FN(p, fn) ((p)->struct_size > offsetof(PJRT_Api, fn) && (p)->fn != NULL)

static int require_fn(JNIEnv *env, int present, const char *fn) {
  if (present) return 1;
  char msg[256];
  snprintf(msg, sizeof msg, "this PJRT plugin does not implement %s", fn);
  throw_pjrt_code(env, PJRT_Error_Code_UNIMPLEMENTED, msg, strlen(msg));
  return 0;
}

/* PJRT_TopologyDescription_Create: a device topology without devices, for
 * ahead-of-time compilation (libtpu takes names such as "v5e:2x2"). */
JNIFN(jlong, topologyCreate)(JNIEnv *env, jclass cls, jlong api, jstring jname, jobjectArray names,
                             jobjectArray values) {
  (void)cls;
  const PJRT_Api *p = API(api);
  if (!require_fn(env, HAS_FN(p, PJRT_TopologyDescription_Create), "PJRT_TopologyDescription_Create")) return 0;
  NamedValuesIn in;
  jlong result = 0;
  const char *name = (*env)->GetStringUTFChars(env, jname, NULL);
  if (name != NULL && named_values_in(env, names, values, &in)) {
    INIT_ARGS(PJRT_TopologyDescription_Create_Args, a);
    a.topology_name = name;
    a.topology_name_size = strlen(name);
    a.create_options = in.nv;
    a.num_options = (size_t)in.n;
    if (!check(env, p, p->PJRT_TopologyDescription_Create(&a))) result = HANDLE(a.topology);
  }
  if (name != NULL) {
    named_values_free(env, &in);
    (*env)->ReleaseStringUTFChars(env, jname, name);
  }
  return result;
}

JNIFN(void, topologyDestroy)(JNIEnv *env, jclass cls, jlong api, jlong topology) {
  (void)cls;
  INIT_ARGS(PJRT_TopologyDescription_Destroy_Args, a);
  a.topology = PTR(PJRT_TopologyDescription, topology);
  check(env, API(api), API(api)->PJRT_TopologyDescription_Destroy(&a));
}

/* {String platformName, String platformVersion, Object[] attributes, Object[] devices}
 * where each device is {Integer id, String kind, String debugString, String toString,
 * Integer processIndex, Object[] attributes}. */
JNIFN(jobjectArray, topologyInfo)(JNIEnv *env, jclass cls, jlong api, jlong topology) {
  (void)cls;
  const PJRT_Api *p = API(api);
  PJRT_TopologyDescription *t = PTR(PJRT_TopologyDescription, topology);
  INIT_ARGS(PJRT_TopologyDescription_PlatformName_Args, pn);
  pn.topology = t;
  if (check(env, p, p->PJRT_TopologyDescription_PlatformName(&pn))) return NULL;
  INIT_ARGS(PJRT_TopologyDescription_PlatformVersion_Args, pv);
  pv.topology = t;
  if (check(env, p, p->PJRT_TopologyDescription_PlatformVersion(&pv))) return NULL;
  INIT_ARGS(PJRT_TopologyDescription_Attributes_Args, ta);
  ta.topology = t;
  if (check(env, p, p->PJRT_TopologyDescription_Attributes(&ta))) return NULL;
  INIT_ARGS(PJRT_TopologyDescription_GetDeviceDescriptions_Args, dd);
  dd.topology = t;
  if (check(env, p, p->PJRT_TopologyDescription_GetDeviceDescriptions(&dd))) return NULL;
  jobjectArray devices = new_object_array(env, (jsize)dd.num_descriptions);
  if (devices == NULL) return NULL;
  for (size_t i = 0; i < dd.num_descriptions; i++) {
    PJRT_DeviceDescription *d = dd.descriptions[i];
    INIT_ARGS(PJRT_DeviceDescription_Id_Args, id);
    id.device_description = d;
    if (check(env, p, p->PJRT_DeviceDescription_Id(&id))) return NULL;
    INIT_ARGS(PJRT_DeviceDescription_Kind_Args, kind);
    kind.device_description = d;
    if (check(env, p, p->PJRT_DeviceDescription_Kind(&kind))) return NULL;
    INIT_ARGS(PJRT_DeviceDescription_DebugString_Args, dbg);
    dbg.device_description = d;
    if (check(env, p, p->PJRT_DeviceDescription_DebugString(&dbg))) return NULL;
    INIT_ARGS(PJRT_DeviceDescription_ToString_Args, ts);
    ts.device_description = d;
    if (check(env, p, p->PJRT_DeviceDescription_ToString(&ts))) return NULL;
    INIT_ARGS(PJRT_DeviceDescription_ProcessIndex_Args, pi);
    pi.device_description = d;
    if (check(env, p, p->PJRT_DeviceDescription_ProcessIndex(&pi))) return NULL;
    INIT_ARGS(PJRT_DeviceDescription_Attributes_Args, at);
    at.device_description = d;
    if (check(env, p, p->PJRT_DeviceDescription_Attributes(&at))) return NULL;
    jobjectArray one = new_object_array(env, 6);
    if (one == NULL) return NULL;
    (*env)->SetObjectArrayElement(env, one, 0, box_int(env, id.id));
    (*env)->SetObjectArrayElement(env, one, 1, new_string(env, kind.device_kind, kind.device_kind_size));
    (*env)->SetObjectArrayElement(env, one, 2, new_string(env, dbg.debug_string, dbg.debug_string_size));
    (*env)->SetObjectArrayElement(env, one, 3, new_string(env, ts.to_string, ts.to_string_size));
    (*env)->SetObjectArrayElement(env, one, 4, box_int(env, pi.process_index));
    (*env)->SetObjectArrayElement(env, one, 5, named_values(env, at.attributes, at.num_attributes));
    if ((*env)->ExceptionCheck(env)) return NULL;
    (*env)->SetObjectArrayElement(env, devices, (jsize)i, one);
    (*env)->DeleteLocalRef(env, one);
  }
  jobjectArray out = new_object_array(env, 4);
  if (out == NULL) return NULL;
  (*env)->SetObjectArrayElement(env, out, 0, new_string(env, pn.platform_name, pn.platform_name_size));
  (*env)->SetObjectArrayElement(env, out, 1, new_string(env, pv.platform_version, pv.platform_version_size));
  (*env)->SetObjectArrayElement(env, out, 2, named_values(env, ta.attributes, ta.num_attributes));
  (*env)->SetObjectArrayElement(env, out, 3, devices);
  return out;
}

/* PJRT_Compile: compiles for a topology without a client (deviceless AOT).
 * Returns a PJRT_Executable (not loaded) that can be serialized and analysed. */
JNIFN(jlong, topologyCompile)(JNIEnv *env, jclass cls, jlong api, jlong topology, jbyteArray code,
                              jstring format, jbyteArray options) {
  (void)cls;
  const PJRT_Api *p = API(api);
  if (!require_fn(env, HAS_FN(p, PJRT_Compile), "PJRT_Compile")) return 0;
  compile_input in;
  jlong result = 0;
  if (pin_compile_input(env, &in, code, format, options)) {
    INIT_ARGS(PJRT_Compile_Args, a);
    a.topology = PTR(PJRT_TopologyDescription, topology);
    a.program = &in.program;
    a.compile_options = (const char *)in.options;
    a.compile_options_size = in.options_size;
    a.client = NULL;
    if (!check(env, p, p->PJRT_Compile(&a))) result = HANDLE(a.executable);
  }
  release_compile_input(env, &in);
  return result;
}

/* ------------------------------------------------------ executable analysis */

/* long[11]: device {code, arguments, outputs, alias, temp}, host {code, arguments,
 * outputs, alias, temp}, peak device memory (-1 if the plugin leaves it out). */
JNIFN(jlongArray, executableMemoryStats)(JNIEnv *env, jclass cls, jlong api, jlong exe) {
  (void)cls;
  const PJRT_Api *p = API(api);
  if (!require_fn(env, HAS_FN(p, PJRT_Executable_GetCompiledMemoryStats), "PJRT_Executable_GetCompiledMemoryStats"))
    return NULL;
  INIT_ARGS(PJRT_Executable_GetCompiledMemoryStats_Args, a);
  a.executable = PTR(PJRT_Executable, exe);
  a.peak_memory_in_bytes = -1;
  if (check(env, p, p->PJRT_Executable_GetCompiledMemoryStats(&a))) return NULL;
  int64_t v[11] = {a.generated_code_size_in_bytes, a.argument_size_in_bytes, a.output_size_in_bytes,
                   a.alias_size_in_bytes, a.temp_size_in_bytes, a.host_generated_code_size_in_bytes,
                   a.host_argument_size_in_bytes, a.host_output_size_in_bytes, a.host_alias_size_in_bytes,
                   a.host_temp_size_in_bytes, a.peak_memory_in_bytes};
  return new_long_array(env, v, 11);
}

/* The plugin's cost properties (flops, bytes accessed ...) as Object[]{name, value, ...}. */
JNIFN(jobjectArray, executableCostAnalysis)(JNIEnv *env, jclass cls, jlong api, jlong exe) {
  (void)cls;
  const PJRT_Api *p = API(api);
  if (!require_fn(env, HAS_FN(p, PJRT_Executable_GetCostAnalysis), "PJRT_Executable_GetCostAnalysis")) return NULL;
  INIT_ARGS(PJRT_Executable_GetCostAnalysis_Args, a);
  a.executable = PTR(PJRT_Executable, exe);
  if (check(env, p, p->PJRT_Executable_GetCostAnalysis(&a))) return NULL;
  return named_values(env, a.properties, a.num_properties);
}

/* ------------------------------------------------------------ CPU fast path */

static int swallow(const PJRT_Api *p, PJRT_Error *err) {
  if (err == NULL) return 0;
  INIT_ARGS(PJRT_Error_Destroy_Args, d);
  d.error = err;
  p->PJRT_Error_Destroy(&d);
  return 1;
}

/* Whether a buffer lives in host memory (PJRT_Buffer_IsOnCpu), is ready, has the dense
 * major-to-minor layout and exactly `size` bytes: then its device memory is a plain host
 * array of those bytes. 0 (nothing thrown) when any of that is not so or cannot be asked. */
static int is_dense_host_array(const PJRT_Api *p, PJRT_Buffer *b, jlong size) {
  if (!HAS_FN(p, PJRT_Buffer_IsOnCpu) || !HAS_FN(p, PJRT_Buffer_ReadyEvent) ||
      !HAS_FN(p, PJRT_Buffer_GetMemoryLayout) || !HAS_FN(p, PJRT_Buffer_OpaqueDeviceMemoryDataPointer))
    return 0;
  INIT_ARGS(PJRT_Buffer_IsOnCpu_Args, oc);
  oc.buffer = b;
  if (swallow(p, p->PJRT_Buffer_IsOnCpu(&oc)) || !oc.is_on_cpu) return 0;
  INIT_ARGS(PJRT_Buffer_ReadyEvent_Args, re);
  re.buffer = b;
  if (swallow(p, p->PJRT_Buffer_ReadyEvent(&re))) return 0;
  if (!consume_if_done(p, re.event)) {
    INIT_ARGS(PJRT_Event_Destroy_Args, d);
    d.event = re.event;
    swallow(p, p->PJRT_Event_Destroy(&d));
    return 0; /* still being written, or failed: the ordinary path waits or reports */
  }
  INIT_ARGS(PJRT_Buffer_GetMemoryLayout_Args, l);
  l.buffer = b;
  if (swallow(p, p->PJRT_Buffer_GetMemoryLayout(&l))) return 0;
  if (l.layout.type != PJRT_Buffer_MemoryLayout_Type_Tiled || l.layout.tiled.num_tiles != 0) return 0;
  size_t rank = l.layout.tiled.minor_to_major_size;
  for (size_t i = 0; i < rank; i++) {
    if (l.layout.tiled.minor_to_major[i] != (int64_t)(rank - 1 - i)) return 0;
  }
  INIT_ARGS(PJRT_Buffer_OnDeviceSizeInBytes_Args, sz);
  sz.buffer = b;
  return !swallow(p, p->PJRT_Buffer_OnDeviceSizeInBytes(&sz)) && sz.on_device_size_in_bytes == (size_t)size;
}

/* The buffer's device memory, or NULL (nothing thrown) when the plugin does not say. */
static void *device_memory(const PJRT_Api *p, PJRT_Buffer *b) {
  INIT_ARGS(PJRT_Buffer_OpaqueDeviceMemoryDataPointer_Args, ptr);
  ptr.buffer = b;
  return swallow(p, p->PJRT_Buffer_OpaqueDeviceMemoryDataPointer(&ptr)) ? NULL : ptr.device_memory_ptr;
}

/* The XLA CPU plugin copies a buffer to the host on a worker thread and signals an event:
 * a thread hand-off of several microseconds (tens on a busy machine) even for a few bytes.
 * When the buffer is a dense host array (is_dense_host_array), this copies it here instead,
 * while an external reference pins its memory. Returns JNI_TRUE when it copied; JNI_FALSE
 * (nothing thrown) when the caller must take the ordinary path. */
JNIFN(jboolean, bufferCopyFromCpu)(JNIEnv *env, jclass cls, jlong api, jlong buf, jobject dst, jlong offset,
                                   jlong size) {
  (void)cls;
  const PJRT_Api *p = API(api);
  if (!HAS_FN(p, PJRT_Buffer_IncreaseExternalReferenceCount) || !HAS_FN(p, PJRT_Buffer_DecreaseExternalReferenceCount))
    return JNI_FALSE;
  char *base = (char *)(*env)->GetDirectBufferAddress(env, dst);
  if (base == NULL) return JNI_FALSE;
  PJRT_Buffer *b = PTR(PJRT_Buffer, buf);
  if (!is_dense_host_array(p, b, size)) return JNI_FALSE;
  INIT_ARGS(PJRT_Buffer_IncreaseExternalReferenceCount_Args, inc);
  inc.buffer = b;
  if (swallow(p, p->PJRT_Buffer_IncreaseExternalReferenceCount(&inc))) return JNI_FALSE;
  void *memory = device_memory(p, b);
  int ok = memory != NULL || size == 0;
  if (ok && size > 0) memcpy(base + offset, memory, (size_t)size);
  INIT_ARGS(PJRT_Buffer_DecreaseExternalReferenceCount_Args, dec);
  dec.buffer = b;
  swallow(p, p->PJRT_Buffer_DecreaseExternalReferenceCount(&dec));
  return ok ? JNI_TRUE : JNI_FALSE;
}

/* A direct ByteBuffer over the device memory of a buffer that is a dense host array of
 * `size` bytes (is_dense_host_array), for another client of the same plugin to alias; NULL
 * (nothing thrown) when it is not one, or is larger than a ByteBuffer can be. The memory is
 * the buffer's: the caller keeps the buffer alive, and unchanged, while the view is used. */
JNIFN(jobject, bufferHostView)(JNIEnv *env, jclass cls, jlong api, jlong buf, jlong size) {
  (void)cls;
  const PJRT_Api *p = API(api);
  PJRT_Buffer *b = PTR(PJRT_Buffer, buf);
  if (size <= 0 || size > INT32_MAX || !is_dense_host_array(p, b, size)) return NULL;
  void *memory = device_memory(p, b);
  return memory == NULL ? NULL : (*env)->NewDirectByteBuffer(env, memory, size);
}
