// Thread start on parked Workers (js/library_pool_park.js): pthread semantics on a reused Worker whose
// thread was handed over through shared memory, under node and Chromium. One scenario per run:
//
// (Parking is off by default: the tests that want it on say so in their configuration.)
//   semantics N P   a worker thread (the driver) runs N rounds; each round starts, on whatever Worker
//                   the pool gives (a parked one when P = 1), one thread of each kind and checks it:
//                     - fresh TLS: a _Thread_local initialised to 5 reads 5 (the last thread set it to 99);
//                     - C++ thread_local with a constructor and destructor (both run once per thread);
//                     - a pthread key's destructor runs at exit with the thread's value;
//                     - a 512 KB stack (pthread_attr_setstacksize) is what the thread gets, and usable;
//                     - pthread_exit from a nested call gives its value to the join;
//                     - a C++ exception thrown and caught inside the thread;
//                     - pthread_cancel of a thread blocked at a cancellation point: PTHREAD_CANCELED;
//                     - a detached thread runs (it signals) and its Worker comes back;
//                     - a thread that keeps its JS event loop (unwinds, a timer later calls pthread_exit):
//                       the join gets the timer's value;
//                     - the realm reset: a JS global the previous thread added is gone.
//                   With P = 1, threads started on parked Workers must be at least half of those
//                   started (wt_pool_stats().parked_starts), and the pool must not grow past 8.
//                   With P = 0 (config park false) there must be none: the stock path alone.
//   retired_join    (config initial 0, spare 0, idle_timeout_ms 100) a finished thread's parked Worker
//                   retires before the thread is joined; after the join, new threads still run.
// Ends with "PARK <scenario> ok ..." or "FAIL: ...".
#include "webthreads/pool.h"

#include <emscripten/em_asm.h>
#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/stack.h>
#include <emscripten/threading.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace {

const char *scenario = "";
int arg_n = 50, arg_p = 1;
long keepalive_timer;

void exit_on_main(int code) {
  emscripten_clear_interval(keepalive_timer);
  fflush(stdout);
  emscripten_force_exit(code);
}

void finish(int code) {
  if (emscripten_is_main_runtime_thread()) exit_on_main(code);
  else emscripten_async_run_in_main_runtime_thread(EM_FUNC_SIG_VI, exit_on_main, code);
}

#define FAIL(...)                                      \
  do {                                                 \
    printf("FAIL: %s: ", scenario);                    \
    printf(__VA_ARGS__);                               \
    printf("\n");                                      \
    finish(1);                                         \
    return nullptr;                                    \
  } while (0)

// Waits (worker thread) until *v >= want, up to timeout_ms.
bool wait_at_least(std::atomic<int> &v, int want, double timeout_ms) {
  double deadline = emscripten_get_now() + timeout_ms;
  int x;
  while ((x = v.load()) < want && emscripten_get_now() < deadline)
    emscripten_futex_wait(reinterpret_cast<volatile void *>(&v), static_cast<uint32_t>(x), 100);
  return v.load() >= want;
}
void bump(std::atomic<int> &v) {
  v.fetch_add(1);
  emscripten_futex_wake(reinterpret_cast<volatile void *>(&v), INT32_MAX);
}

// ---- per-thread state
_Thread_local int tls_plain = 5;
std::atomic<int> ctors{0}, dtors{0}, key_dtors{0}, detached_ran{0}, canceled_ready{0}, never{0};
pthread_key_t key;

struct Tracked {
  int value = 7;
  Tracked() { ctors.fetch_add(1); }
  ~Tracked() { dtors.fetch_add(1); }
};
thread_local Tracked tracked;

void key_dtor(void *v) {
  if (v == reinterpret_cast<void *>(0x5eed)) key_dtors.fetch_add(1);
}

// 1: TLS fresh, thread_local constructed, key set; returns an error string or null.
void *t_state(void *) {
  if (tls_plain != 5) return const_cast<char *>("a _Thread_local did not start at its initial value");
  tls_plain = 99;
  if (tracked.value != 7) return const_cast<char *>("a C++ thread_local was not constructed");
  tracked.value = 8;
  pthread_setspecific(key, reinterpret_cast<void *>(0x5eed));
  // The previous round's thread added a JS global: the realm reset deleted it at that thread's exit.
  int seen = EM_ASM_INT({ var s = typeof globalThis.wtParkTestGlobal != 'undefined'; globalThis.wtParkTestGlobal = 1; return s; });
  if (seen) return const_cast<char *>("a JS global of an earlier thread was still there");
  return nullptr;
}

// 2: the stack is the one asked for, and usable.
void *t_stack(void *) {
  uintptr_t size = emscripten_stack_get_base() - emscripten_stack_get_end();
  if (size < 512 * 1024) return const_cast<char *>("the thread's stack is smaller than the 512 KB asked for");
  volatile char buf[400 * 1024];
  for (size_t i = 0; i < sizeof buf; i += 4096) buf[i] = static_cast<char>(i);
  return buf[4096] == static_cast<char>(4096) ? nullptr : const_cast<char *>("stack buffer");
}

// 3: pthread_exit from a nested call.
[[noreturn]] void nested_exit(int depth) {
  if (depth == 0) pthread_exit(reinterpret_cast<void *>(0x1234));
  nested_exit(depth - 1);
}
void *t_exit(void *) { nested_exit(3); }

// 4: an exception thrown and caught on the thread.
void *t_exception(void *) {
  try {
    throw std::runtime_error("inside");
  } catch (const std::runtime_error &e) {
    return strcmp(e.what(), "inside") == 0 ? reinterpret_cast<void *>(0x42) : nullptr;
  }
  return nullptr;
}

// 5: cancelled while blocked at a cancellation point.
void *t_cancel(void *) {
  bump(canceled_ready);
  for (;;) {
    pthread_testcancel();
    emscripten_futex_wait(reinterpret_cast<volatile void *>(&never), 0, 5);
  }
}

// 6: detached.
void *t_detached(void *) {
  bump(detached_ran);
  return nullptr;
}

// 7: keeps its JS event loop; a timer ends it.
void timer_exit(void *) { pthread_exit(reinterpret_cast<void *>(0x77)); }
void *t_loop(void *) {
  emscripten_set_timeout(timer_exit, 2, nullptr);
  emscripten_unwind_to_js_event_loop();
}

void *join_value(pthread_t t, int *rc) {
  void *r = nullptr;
  *rc = pthread_join(t, &r);
  return r;
}

void *semantics(void *) {
  if (pthread_key_create(&key, key_dtor)) FAIL("pthread_key_create");
  pthread_attr_t big;
  pthread_attr_init(&big);
  pthread_attr_setstacksize(&big, 512 * 1024);
  pthread_attr_t det;
  pthread_attr_init(&det);
  pthread_attr_setdetachstate(&det, PTHREAD_CREATE_DETACHED);
  struct wt_pool_stats s0;
  wt_pool_stats(&s0);
  int started = 0, rc;
  for (int round = 0; round < arg_n; round++) {
    pthread_t t;
    void *r;
    if (pthread_create(&t, nullptr, t_state, nullptr)) FAIL("create state");
    r = join_value(t, &rc);
    if (rc) FAIL("join state: %d", rc);
    if (r) FAIL("round %d: %s", round, static_cast<const char *>(r));
    if (pthread_create(&t, &big, t_stack, nullptr)) FAIL("create stack");
    r = join_value(t, &rc);
    if (rc || r) FAIL("round %d: %s", round, r ? static_cast<const char *>(r) : "join");
    if (pthread_create(&t, nullptr, t_exit, nullptr)) FAIL("create exit");
    if (join_value(t, &rc) != reinterpret_cast<void *>(0x1234) || rc) FAIL("round %d: pthread_exit's value was lost", round);
    if (pthread_create(&t, nullptr, t_exception, nullptr)) FAIL("create exception");
    if (join_value(t, &rc) != reinterpret_cast<void *>(0x42) || rc) FAIL("round %d: the exception was not caught on the thread", round);
    int ready = canceled_ready.load();
    if (pthread_create(&t, nullptr, t_cancel, nullptr)) FAIL("create cancel");
    if (!wait_at_least(canceled_ready, ready + 1, 30000)) FAIL("round %d: the thread to cancel did not start in 30 s", round);
    pthread_cancel(t);
    if (join_value(t, &rc) != PTHREAD_CANCELED || rc) FAIL("round %d: the cancelled thread's join did not give PTHREAD_CANCELED", round);
    int ran = detached_ran.load();
    if (pthread_create(&t, &det, t_detached, nullptr)) FAIL("create detached");
    if (!wait_at_least(detached_ran, ran + 1, 30000)) FAIL("round %d: the detached thread did not run in 30 s", round);
    if (pthread_create(&t, nullptr, t_loop, nullptr)) FAIL("create loop");
    if (join_value(t, &rc) != reinterpret_cast<void *>(0x77) || rc) FAIL("round %d: the event-loop thread's pthread_exit value was lost", round);
    started += 7;
  }
  int want_state = arg_n; // t_state threads construct `tracked`; the others do not touch it
  // Destructors ran before each join returned (they run inside the exiting thread, before it is marked exited).
  if (ctors.load() != want_state || dtors.load() != want_state)
    FAIL("thread_local constructors %d, destructors %d, expected %d each", ctors.load(), dtors.load(), want_state);
  if (key_dtors.load() != arg_n) FAIL("the key destructor ran %d times, expected %d", key_dtors.load(), arg_n);
  struct wt_pool_stats s;
  wt_pool_stats(&s);
  unsigned long long parked = s.parked_starts - s0.parked_starts;
  if (s.created - s.retired != static_cast<unsigned long long>(s.total)) FAIL("stats imbalance");
  if (arg_p && parked * 2 < static_cast<unsigned long long>(started))
    FAIL("only %llu of %d threads started on a parked Worker", parked, started);
  if (!arg_p && parked) FAIL("%llu threads started on a parked Worker with park off", parked);
  if (arg_p && s.peak > 8) FAIL("the pool grew to %d Workers", s.peak);
  printf("PARK semantics ok rounds=%d threads=%d parked_starts=%llu peak=%d total=%d parked=%d\n", arg_n, started,
         parked, s.peak, s.total, s.parked);
  finish(0);
  return nullptr;
}

// retired_join (config initial 0, spare 0, idle_timeout_ms 100): a thread ends and its Worker parks; the
// join waits until the pool has retired that idle parked Worker; then a new thread must still run (the
// late join used to hand the terminated Worker back to the pool, and the next thread went to it).
std::atomic<int> ran{0};
void *t_mark(void *) {
  bump(ran);
  return reinterpret_cast<void *>(0x99);
}
void *retired_join(void *) {
  pthread_t t;
  if (pthread_create(&t, nullptr, t_mark, nullptr)) FAIL("create");
  if (!wait_at_least(ran, 1, 30000)) FAIL("the first thread did not run in 30 s");
  struct wt_pool_stats s;
  double deadline = emscripten_get_now() + 30000;
  for (;;) { // its Worker parks, then retires (idle 100 ms, floor 0); the driver's own Worker stays
    wt_pool_stats(&s);
    if (s.retired >= 1 && s.parked == 0) break;
    if (emscripten_get_now() > deadline) FAIL("the parked Worker did not retire within 30 s (retired %llu, parked %d)", s.retired, s.parked);
    emscripten_futex_wait(reinterpret_cast<volatile void *>(&never), 0, 20);
  }
  int rc;
  if (join_value(t, &rc) != reinterpret_cast<void *>(0x99) || rc) FAIL("the late join lost the thread's value");
  for (int i = 0; i < 3; i++) {
    if (pthread_create(&t, nullptr, t_mark, nullptr)) FAIL("create after the late join");
    if (!wait_at_least(ran, 2 + i, 30000)) FAIL("thread %d after the late join did not run within 30 s: it went to a retired Worker", i + 1);
    if (join_value(t, &rc) != reinterpret_cast<void *>(0x99) || rc) FAIL("join after the late join");
  }
  wt_pool_stats(&s);
  printf("PARK retired_join ok retired=%llu created=%llu total=%d\n", s.retired, s.created, s.total);
  finish(0);
  return nullptr;
}

void keepalive(void *) {}

} // namespace

int main(int argc, char **argv) {
  scenario = argc > 1 ? argv[1] : "";
  if (argc > 2) arg_n = atoi(argv[2]);
  if (argc > 3) arg_p = atoi(argv[3]);
  keepalive_timer = emscripten_set_interval(keepalive, 1000, nullptr);
  void *(*driver)(void *) = nullptr;
  if (!strcmp(scenario, "semantics")) driver = semantics;
  if (!strcmp(scenario, "retired_join")) driver = retired_join;
  if (!driver) {
    printf("FAIL: unknown scenario '%s'\n", scenario);
    return 1;
  }
  pthread_t d;
  if (pthread_create(&d, nullptr, driver, nullptr)) {
    printf("FAIL: %s: pthread_create of the driver\n", scenario);
    return 1;
  }
  pthread_detach(d);
  emscripten_exit_with_live_runtime();
}
