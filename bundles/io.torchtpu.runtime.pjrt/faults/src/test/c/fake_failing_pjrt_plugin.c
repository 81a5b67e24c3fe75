/*
 * FAKE PJRT plugin for fault-injection tests only: never ship it, never load it in production.
 *
 * One source, built once per fault (build-fake-plugins.sh passes -DFAKE_FAULT=N) into
 * libfake_failing_pjrt_plugin_<fault>.so, because a PJRT plugin is loaded once per file and
 * never unloaded, so each behaviour needs its own file. Faults that need a working plugin
 * around them (execute, the completion event) wrap the real XLA CPU plugin: its function
 * table is copied and only the faulty entries are replaced. The real plugin's path is
 * compiled in (FAKE_DELEGATE_PATH) and can be overridden with TORCHTPU_FAKE_PJRT_DELEGATE.
 *
 * Errors and events made here are tracked in a small registry so that the Error_* and
 * Event_* entries can tell them from the real plugin's and pass the real ones through.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xla/pjrt/c/pjrt_c_api.h"

#define FAULT_NULL_API 1              /* GetPjrtApi returns NULL */
#define FAULT_WRONG_VERSION 2         /* reports PJRT C API 0.1 with a tiny function table */
#define FAULT_INITIALIZE_FAILS 3      /* PJRT_Plugin_Initialize returns an error */
#define FAULT_CLIENT_CREATE_FAILS 4   /* PJRT_Client_Create returns UNAVAILABLE */
#define FAULT_EXECUTE_FAILS 5         /* PJRT_LoadedExecutable_Execute returns RESOURCE_EXHAUSTED */
#define FAULT_EXECUTION_EVENT_FAILS 6 /* Execute succeeds, its completion event reports INTERNAL */

#ifndef FAKE_FAULT
#error "build with -DFAKE_FAULT=<1..6>"
#endif
#ifndef FAKE_DELEGATE_PATH
#define FAKE_DELEGATE_PATH ""
#endif

#define EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------ registry of fakes */

typedef struct FakeNode {
  void *ptr;
  struct FakeNode *next;
} FakeNode;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static FakeNode *registry;

static void remember(void *p) {
  FakeNode *n = malloc(sizeof *n);
  if (n == NULL) abort();
  pthread_mutex_lock(&registry_lock);
  n->ptr = p;
  n->next = registry;
  registry = n;
  pthread_mutex_unlock(&registry_lock);
}

/* Removes p when `take` is set; returns whether it was one of ours. */
static int is_fake(const void *p, int take) {
  int found = 0;
  pthread_mutex_lock(&registry_lock);
  for (FakeNode **at = &registry; *at != NULL; at = &(*at)->next) {
    if ((*at)->ptr == p) {
      found = 1;
      if (take) {
        FakeNode *gone = *at;
        *at = gone->next;
        free(gone);
      }
      break;
    }
  }
  pthread_mutex_unlock(&registry_lock);
  return found;
}

typedef struct {
  PJRT_Error_Code code;
  char message[600];
} FakeError;

static PJRT_Error *fake_error(PJRT_Error_Code code, const char *message) {
  FakeError *e = calloc(1, sizeof *e);
  if (e == NULL) abort();
  e->code = code;
  snprintf(e->message, sizeof e->message, "%s", message);
  remember(e);
  return (PJRT_Error *)e;
}

/* ------------------------------------------------------------ the real plugin */

static PJRT_Api table;
static const PJRT_Api *real;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char delegate_problem[512];

static void load_real(void) {
  const char *path = getenv("TORCHTPU_FAKE_PJRT_DELEGATE");
  if (path == NULL || path[0] == 0) path = FAKE_DELEGATE_PATH;
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    snprintf(delegate_problem, sizeof delegate_problem, "fake plugin: cannot load the real plugin %s: %s", path, dlerror());
    return;
  }
  const PJRT_Api *(*get)(void) = (const PJRT_Api *(*)(void))dlsym(h, "GetPjrtApi");
  real = get != NULL ? get() : NULL;
  if (real == NULL) snprintf(delegate_problem, sizeof delegate_problem, "fake plugin: %s has no usable GetPjrtApi", path);
}

/* ------------------------------------------------------------ error entries */


static void fake_Error_Destroy(PJRT_Error_Destroy_Args *args) {
  if (is_fake(args->error, 1)) {
    free(args->error);
  } else if (real != NULL) {
    real->PJRT_Error_Destroy(args);
  }
}

static void fake_Error_Message(PJRT_Error_Message_Args *args) {
  if (is_fake(args->error, 0)) {
    const FakeError *e = (const FakeError *)args->error;
    args->message = e->message;
    args->message_size = strlen(e->message);
  } else if (real != NULL) {
    real->PJRT_Error_Message(args);
  }
}

static PJRT_Error *fake_Error_GetCode(PJRT_Error_GetCode_Args *args) {
  if (is_fake(args->error, 0)) {
    args->code = ((const FakeError *)args->error)->code;
    return NULL;
  }
  return real != NULL ? real->PJRT_Error_GetCode(args) : NULL;
}

/* ------------------------------------------------------------ faulty entries */

static PJRT_Error *fake_Plugin_Initialize(PJRT_Plugin_Initialize_Args *args) {
  (void)args;
  if (FAKE_FAULT == FAULT_INITIALIZE_FAILS || real == NULL) {
    return fake_error(PJRT_Error_Code_INTERNAL, real == NULL ? delegate_problem
        : "fake plugin: PJRT_Plugin_Initialize fails on purpose (fault injection)");
  }
  return real->PJRT_Plugin_Initialize(args);
}

static PJRT_Error *fake_Client_Create(PJRT_Client_Create_Args *args) {
  (void)args;
  return fake_error(PJRT_Error_Code_UNAVAILABLE, "fake plugin: no device is available (fault injection)");
}

/* An event whose wait ends with an error once the real one is done. */
typedef struct {
  PJRT_Event *inner;
} FakeEvent;

static PJRT_Error *fake_LoadedExecutable_Execute(PJRT_LoadedExecutable_Execute_Args *args) {
  if (FAKE_FAULT == FAULT_EXECUTE_FAILS) {
    return fake_error(PJRT_Error_Code_RESOURCE_EXHAUSTED,
                      "fake plugin: out of device memory while executing (fault injection)");
  }
  PJRT_Error *err = real->PJRT_LoadedExecutable_Execute(args);
  if (err != NULL || args->device_complete_events == NULL) return err;
  for (size_t d = 0; d < args->num_devices; d++) {
    FakeEvent *ev = calloc(1, sizeof *ev);
    if (ev == NULL) abort();
    ev->inner = args->device_complete_events[d];
    remember(ev);
    args->device_complete_events[d] = (PJRT_Event *)ev;
  }
  return NULL;
}

static PJRT_Error *fake_Event_Destroy(PJRT_Event_Destroy_Args *args) {
  if (is_fake(args->event, 1)) {
    FakeEvent *ev = (FakeEvent *)args->event;
    PJRT_Event_Destroy_Args inner = *args;
    inner.event = ev->inner;
    free(ev);
    return inner.event != NULL ? real->PJRT_Event_Destroy(&inner) : NULL;
  }
  return real->PJRT_Event_Destroy(args);
}

static PJRT_Error *fake_Event_IsReady(PJRT_Event_IsReady_Args *args) {
  if (is_fake(args->event, 0)) {
    FakeEvent *ev = (FakeEvent *)args->event;
    if (ev->inner == NULL) {
      args->is_ready = true;
      return NULL;
    }
    PJRT_Event_IsReady_Args inner = *args;
    inner.event = ev->inner;
    PJRT_Error *err = real->PJRT_Event_IsReady(&inner);
    args->is_ready = inner.is_ready;
    return err;
  }
  return real->PJRT_Event_IsReady(args);
}

static PJRT_Error *fake_Event_Await(PJRT_Event_Await_Args *args) {
  if (is_fake(args->event, 0)) {
    FakeEvent *ev = (FakeEvent *)args->event;
    if (ev->inner != NULL) {
      PJRT_Event_Await_Args inner = *args;
      inner.event = ev->inner;
      PJRT_Error *err = real->PJRT_Event_Await(&inner);
      if (err != NULL) return err;
    }
    return fake_error(PJRT_Error_Code_INTERNAL, "fake plugin: the device reported a failed execution (fault injection)");
  }
  return real->PJRT_Event_Await(args);
}

static PJRT_Error *fake_Event_Error(PJRT_Event_Error_Args *args) {
  if (is_fake(args->event, 0)) {
    return fake_error(PJRT_Error_Code_INTERNAL, "fake plugin: the device reported a failed execution (fault injection)");
  }
  return real->PJRT_Event_Error(args);
}

static PJRT_Error *fake_Event_OnReady(PJRT_Event_OnReady_Args *args) {
  if (is_fake(args->event, 0)) {
    return fake_error(PJRT_Error_Code_UNIMPLEMENTED, "fake plugin: OnReady is not faked");
  }
  return real->PJRT_Event_OnReady(args);
}

/* ------------------------------------------------------------ entry point */

static void build_table(void) {
  memset(&table, 0, sizeof table);
  if (FAKE_FAULT == FAULT_WRONG_VERSION) {
    /* an old plugin: a version the bridge refuses before it calls anything */
    table.struct_size = PJRT_STRUCT_SIZE(PJRT_Api, PJRT_Plugin_Initialize);
    table.pjrt_api_version.struct_size = PJRT_Api_Version_STRUCT_SIZE;
    table.pjrt_api_version.major_version = 0;
    table.pjrt_api_version.minor_version = 1;
    table.PJRT_Error_Destroy = fake_Error_Destroy;
    table.PJRT_Error_Message = fake_Error_Message;
    table.PJRT_Error_GetCode = fake_Error_GetCode;
    table.PJRT_Plugin_Initialize = fake_Plugin_Initialize;
    return;
  }
  load_real();
  if (real != NULL) {
    size_t n = real->struct_size < sizeof table ? real->struct_size : sizeof table;
    memcpy(&table, real, n);
  }
  /* the version of the header this fake was built with: it fills exactly that table */
  table.struct_size = PJRT_Api_STRUCT_SIZE;
  table.pjrt_api_version.struct_size = PJRT_Api_Version_STRUCT_SIZE;
  table.pjrt_api_version.major_version = PJRT_API_MAJOR;
  table.pjrt_api_version.minor_version = PJRT_API_MINOR;
  table.PJRT_Error_Destroy = fake_Error_Destroy;
  table.PJRT_Error_Message = fake_Error_Message;
  table.PJRT_Error_GetCode = fake_Error_GetCode;
  table.PJRT_Plugin_Initialize = fake_Plugin_Initialize;
  if (FAKE_FAULT == FAULT_CLIENT_CREATE_FAILS) table.PJRT_Client_Create = fake_Client_Create;
  if (FAKE_FAULT == FAULT_EXECUTE_FAILS || FAKE_FAULT == FAULT_EXECUTION_EVENT_FAILS) {
    table.PJRT_LoadedExecutable_Execute = fake_LoadedExecutable_Execute;
  }
  if (FAKE_FAULT == FAULT_EXECUTION_EVENT_FAILS) {
    table.PJRT_Event_Destroy = fake_Event_Destroy;
    table.PJRT_Event_IsReady = fake_Event_IsReady;
    table.PJRT_Event_Await = fake_Event_Await;
    table.PJRT_Event_Error = fake_Event_Error;
    table.PJRT_Event_OnReady = fake_Event_OnReady;
  }
}

EXPORT const PJRT_Api *GetPjrtApi(void) {
  if (FAKE_FAULT == FAULT_NULL_API) return NULL;
  pthread_once(&once, build_table);
  return &table;
}
