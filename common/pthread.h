/* Internal: <pthread.h> for the core (router.c, handles.c, completion.c).
 *
 * The system's, except on a libc that has none: wasi-libc for wasm32-wasi without threads (Debian's
 * 2022 snapshot; later wasi-libc ships a <pthread.h> there, which is then used). For that case, the
 * few calls the core makes, for the one thread there is (WT_SINGLE_THREADED, common/threads.h):
 *   pthread_once       runs the function the first time (the flag is set first: a nested call for
 *                      the same flag returns at once instead of deadlocking);
 *   pthread_key_*      one value per key, at most 8 keys in each file that includes this header (a
 *                      key is only valid in the file that created it: the core keeps each key in one
 *                      file); the destructor is never run: the one thread does not exit before the
 *                      process does (as for a POSIX main thread that returns from main);
 *   pthread_self       a constant that is neither 0 nor 1 (router.c reserves those in os_thread);
 *   pthread_mutex_*    a flag: locking a mutex the one thread holds already can never succeed, so it
 *                      aborts with a message (POSIX: deadlock) instead of hanging.
 * Nothing else of <pthread.h> is declared: code that needs more does not compile here. */
#ifndef WT_COMMON_PTHREAD_H
#define WT_COMMON_PTHREAD_H

#include "common/threads.h"

#if !defined(WT_SINGLE_THREADED) || !defined(__wasi__) || __has_include(<pthread.h>)
#include <pthread.h>
#else
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WT__PTHREAD_KEYS 8

typedef uintptr_t pthread_t;
typedef int pthread_once_t;
typedef unsigned pthread_key_t;
typedef struct { int locked; } pthread_mutex_t;
#define PTHREAD_ONCE_INIT 0
#define PTHREAD_MUTEX_INITIALIZER {0}

static char wt__pthread_self_object; /* its address: pthread_self() */
static void *wt__pthread_values[WT__PTHREAD_KEYS];
static unsigned wt__pthread_keys_used;

static inline pthread_t pthread_self(void) { return (pthread_t)&wt__pthread_self_object; }

static inline int pthread_once(pthread_once_t *once, void (*fn)(void)) {
  if (*once) return 0;
  *once = 1;
  fn();
  return 0;
}

static inline int pthread_key_create(pthread_key_t *key, void (*destructor)(void *)) {
  (void)destructor; /* the one thread does not exit before the process */
  if (wt__pthread_keys_used == WT__PTHREAD_KEYS) return EAGAIN;
  *key = wt__pthread_keys_used++;
  return 0;
}

static inline int pthread_setspecific(pthread_key_t key, const void *value) {
  if (key >= wt__pthread_keys_used) return EINVAL;
  wt__pthread_values[key] = (void *)value;
  return 0;
}

static inline void *pthread_getspecific(pthread_key_t key) {
  return key < wt__pthread_keys_used ? wt__pthread_values[key] : NULL;
}

static inline int pthread_mutex_lock(pthread_mutex_t *m) {
  if (m->locked) {
    fprintf(stderr, "webthreads: the one thread locked a mutex it holds (deadlock)\n");
    abort();
  }
  m->locked = 1;
  return 0;
}

static inline int pthread_mutex_unlock(pthread_mutex_t *m) {
  m->locked = 0;
  return 0;
}
#endif

#endif
