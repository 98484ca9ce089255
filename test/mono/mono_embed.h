/* The Mono embedder plumbing test/mono/mono_test.c, test/stress/mono/stress_mono.c and
 * bench/mono/mono_bench.c share: a monotonic clock, a bounded wait for a condition, the JIT started
 * with the test assembly loaded, and calls of its static `Tests.X(int) -> int`. */
#ifndef WT_TEST_MONO_EMBED_H
#define WT_TEST_MONO_EMBED_H

#include <mono/jit/jit.h>
#include <mono/metadata/assembly.h>
#include <mono/metadata/threads.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static MonoDomain *domain;
static MonoImage *image;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Polls pred() every ms until it holds (1) or `ms` passed (0): for conditions another thread makes
 * true without telling this one; the bound only turns a hang into a failure. */
static __attribute__((unused)) int wait_until(int (*pred)(void), int ms) {
  double end = now_ms() + ms;
  while (!pred()) {
    if (now_ms() > end) return 0;
    usleep(1000);
  }
  return 1;
}

/* mono_jit_init, then loads the test assembly; exits 2 when it cannot be loaded. */
static void embed_start(const char *name, const char *dll) {
  domain = mono_jit_init(name);
  MonoAssembly *a = mono_domain_assembly_open(domain, dll);
  if (!a) {
    printf("FAIL: cannot load %s\n", dll);
    exit(2);
  }
  image = mono_assembly_get_image(a);
}

/* Runs Tests.name(arg) and returns its int result; exits 2 when there is no such method or it threw. */
static int invoke_int(const char *name, int arg) {
  MonoClass *k = mono_class_from_name(image, "", "Tests");
  MonoMethod *m = k ? mono_class_get_method_from_name(k, name, 1) : NULL;
  if (!m) {
    printf("FAIL: no method Tests.%s/1 in the test assembly\n", name);
    exit(2);
  }
  void *args[1] = {&arg};
  MonoObject *exc = NULL;
  MonoObject *r = mono_runtime_invoke(m, NULL, args, &exc);
  if (exc) { /* mono_object_to_string aborts on a GC-safe thread (notes): the class name is safe */
    printf("FAIL: Tests.%s threw %s\n", name, mono_class_get_name(mono_object_get_class(exc)));
    exit(2);
  }
  return *(int *)mono_object_unbox(r);
}

#endif
