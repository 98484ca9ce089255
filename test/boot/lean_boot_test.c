// The lean Worker boot (docs/pool.md, "Lean Worker boot"; js/pool_boot_gen.mjs): threads of a program
// with a generated JS library the size of a managed runtime's (test/boot/gen_big_lib.mjs: thousands of
// functions, ~2 MB) call every one of its functions, an EM_JS function and EM_ASM code, and check the
// results against the same values computed in C; each thread reports whether its Worker realm runs the
// lean worker script (js/library_pool_boot.js: wtBoot.isLeanRealm), and main checks the pool's boot
// counts (wt_pool_stats: boot_lean, boot_main).
//   lean_boot_test lean  T   T threads; every realm must be lean and no Worker may have loaded the main JS
//   lean_boot_test stock T   the fallback (a build whose pre-js sets Module.mainScriptUrlOrBlob): every
//                            realm runs the main JS, no Worker loaded the lean script, results still right
// Prints "LEAN_BOOT <mode> ok threads=T calls=C lean_realms=L/T boot_lean=B boot_main=M", or FAIL: lines.
#include <emscripten.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webthreads/pool.h"

int wt_big_n(void);
int wt_big_call(int i, int x, int *out);
int wt_big_expect(int i, int x);
int wt_test_boot_lean_realm(void); // test/boot/boot_test_lib.js

// An EM_JS function large enough for the generator to stub (> 256 bytes of source), closing over
// module-scope state (HEAP32, the big library's $wtBigState is not reachable from EM_JS: UTF8ToString).
EM_JS(int, wt_boot_em_js, (int x, const char *tag), {
  var t = UTF8ToString(tag), acc = x | 0, parts = [];
  for (var k = 0; k < t.length; k++) { acc = (Math.imul(acc, 33) + t.charCodeAt(k)) | 0; parts.push(t[k]); }
  if (parts.join("") !== t) throw new Error('wt_boot_em_js: the tag did not survive the round trip: ' + t);
  var scratch = { tag: t, length: t.length, acc: acc, note: 'an EM_JS body long enough to be stubbed by the lean boot' };
  return scratch.acc ^ scratch.length;
});
static int em_js_expect(int x, const char *t) {
  unsigned acc = (unsigned)x;
  for (const char *p = t; *p; p++) acc = acc * 33u + (unsigned char)*p;
  return (int)(acc ^ (unsigned)strlen(t));
}

static int failures;
#define FAIL(...) (printf("FAIL: " __VA_ARGS__), printf("\n"), __atomic_fetch_add(&failures, 1, __ATOMIC_SEQ_CST))

struct job { int seed, calls, lean; };

static void *run(void *p) {
  struct job *j = p;
  int n = wt_big_n();
  for (int i = 0; i < n; i++) {
    int x = j->seed * 100003 + i, out = 0;
    int got = wt_big_call(i, x, &out), want = wt_big_expect(i, x);
    if (got != want) { FAIL("thread %d: wt_big_%d(%d) = %d, expected %d", j->seed, i, x, got, want); break; }
    if (i % 16 == 0 && out != want) { FAIL("thread %d: wt_big_%d wrote %d through its pointer, expected %d", j->seed, i, out, want); break; }
    j->calls++;
  }
  int e = wt_boot_em_js(j->seed, "lean-boot"), ew = em_js_expect(j->seed, "lean-boot");
  if (e != ew) FAIL("thread %d: EM_JS gave %d, expected %d", j->seed, e, ew);
  int a = EM_ASM_INT({ return ($0 | 0) * 3 + 1; }, j->seed);
  if (a != j->seed * 3 + 1) FAIL("thread %d: EM_ASM gave %d", j->seed, a);
  j->lean = wt_test_boot_lean_realm();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3 || (strcmp(argv[1], "lean") && strcmp(argv[1], "stock"))) {
    printf("FAIL: usage: lean_boot_test lean|stock THREADS\n");
    return 2;
  }
  int lean_mode = !strcmp(argv[1], "lean"), t = atoi(argv[2]);
  if (t < 1 || t > 64) { printf("FAIL: THREADS must be 1..64 (got %s)\n", argv[2]); return 2; }
  pthread_t th[64];
  struct job jobs[64] = {{0}};
  for (int i = 0; i < t; i++) {
    jobs[i].seed = i + 1;
    if (pthread_create(&th[i], NULL, run, &jobs[i])) { FAIL("pthread_create %d", i); return 1; }
  }
  int calls = 0, lean = 0;
  for (int i = 0; i < t; i++) {
    pthread_join(th[i], NULL);
    calls += jobs[i].calls;
    lean += jobs[i].lean;
  }
  struct wt_pool_stats s;
  wt_pool_stats(&s);
  if (calls != t * wt_big_n()) FAIL("%d calls of the big library ran, expected %d", calls, t * wt_big_n());
  if (lean_mode) {
    if (lean != t) FAIL("%d of %d thread realms run the lean worker script (the others loaded the main JS)", lean, t);
    if (s.boot_main != 0) FAIL("%llu Workers loaded the main JS (stock boot)", s.boot_main);
    if (s.boot_lean < (unsigned long long)t) FAIL("boot_lean = %llu, expected >= %d", s.boot_lean, t);
  } else {
    if (lean != 0) FAIL("%d thread realms run the lean worker script despite the fallback", lean);
    if (s.boot_lean != 0) FAIL("boot_lean = %llu despite the fallback", s.boot_lean);
    if (s.boot_main < (unsigned long long)t) FAIL("boot_main = %llu, expected >= %d", s.boot_main, t);
  }
  if (failures) return 1;
  printf("LEAN_BOOT %s ok threads=%d calls=%d lean_realms=%d/%d boot_lean=%llu boot_main=%llu boot_mean_ms=%.1f\n",
         argv[1], t, calls, lean, t, s.boot_lean, s.boot_main, s.boot_mean_ms);
  return 0;
}
