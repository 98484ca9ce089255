/* The deputy thread (include/webthreads/deputy.h): the program's main off the UI thread.
 *
 * Three ways to run the same thing. What the deputy does is the same everywhere (deputy_prologue,
 * then main_fn): join the registry as a normal thread, publish its id, start the I/O thread when
 * configured, run main_fn. What differs is who the caller is and how the program waits for it:
 *   - browser UI thread (no PROXY_TO_PTHREAD): the caller must not block, and pthread_create there
 *     only queues the thread for a Worker (the pool boots it from this very event loop), so it starts
 *     a detached deputy and unwinds to its JS event loop with the runtime alive. The deputy ends the
 *     program itself with emscripten_force_exit(code): that call is a sync proxy to the UI thread,
 *     which clears its keepalive count and exits for real (node's exit code, Module.onExit in a page).
 *     A plain exit() would not do: it reaches the UI thread as exit(), which only stops while the
 *     runtime is kept alive. Under node the keepalive count is not enough (idle Workers and pending
 *     Atomics.waitAsync do not hold node's event loop): the deputy's Worker is strongly referenced,
 *     as emscripten does for PROXY_TO_PTHREAD's main thread — without it node sometimes exited with
 *     status 0 before the deputy's force_exit arrived (node.deputy.ui, 5 runs of 15 under load).
 *   - a pthread (PROXY_TO_PTHREAD's main): that thread is the deputy; the prologue and main_fn run
 *     inline and main_fn's code is returned, so emscripten's own main-returned path sets the exit
 *     status.
 *   - host backend: the caller becomes the UI thread and serves its mailbox in wt_thread_serve (the
 *     event loop's stand-in) until the deputy's `finished` word is set; the deputy leaves the registry
 *     first, then sets the word and wakes the caller (wt__proxying_wake: the serve re-checks its
 *     condition). Only then does the caller pthread_join, which returns at once: the library never
 *     blocks outside its one wait (common/wait.h). The word is set by a cleanup handler, so a main_fn
 *     that exits its thread (pthread_exit) ends the wait too (WT_ECANCELED).
 *
 * A caller with the I/O or JS-worker role is refused (WT_EINVAL): it may neither block (inline)
 * nor become the UI thread (host). One deputy at a time: `busy` is taken with one CAS by
 * wt_deputy_main and given back when it returns (host, inline); a second call — from inside main_fn
 * too — gets WT_EBUSY. The context is a static: written by the caller before pthread_create (which
 * orders it for the new thread).
 *
 * Locks: none. Blocking: host and inline only (see above).
 */
#include "webthreads/deputy.h"

#include "common/wait.h"
#include "deputy/internal.h"
#include "proxying/internal.h"
#include "webthreads/worker.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#include <emscripten/threading.h>
/* Emscripten 3.1.69 internal (system/lib/pthread/threading_internal.h; JS in library_pthread.js):
 * under node, refs the thread's Worker so that node does not exit while it runs. crt1_proxy_main.c
 * calls it for PROXY_TO_PTHREAD's main thread right after the same detached pthread_create. */
void _emscripten_thread_set_strongref(pthread_t thread);
#endif

static _Atomic uint32_t busy;        /* 1 from wt_deputy_main's start until it returns */
static _Atomic uint64_t deputy_bits; /* the running deputy's id; 0 before it joined / after */
static _Atomic uint64_t io_started;  /* test hook: the I/O thread the last deputy started */
static _Atomic int fail_create_next; /* test hook: the next pthread_create fails with this errno */

static struct {
  wt_main_fn main_fn;
  int argc;
  char **argv;
  wt_deputy_config cfg;
} ctx;

/* The deputy, first thing: joins as a normal thread, publishes itself, starts the I/O thread when
 * configured. 0, or why main_fn must not run. */
static int deputy_prologue(void) {
  wt_thread me;
  int r = wt_thread_join(&me);
  if (r) return r;
  atomic_store(&deputy_bits, me.bits);
  if (ctx.cfg.start_io_thread) {
    wt_thread io;
    if ((r = wt_io_thread(&io)) != 0) {
      atomic_store(&deputy_bits, 0);
      return r;
    }
    atomic_store(&io_started, io.bits);
  }
  return 0;
}

/* errno of pthread_create (or of its attributes) → WT_E code, as worker.c maps it. */
static int map_create_error(int e) {
  if (e == EAGAIN) return WT_EAGAIN; /* the Worker pool is at its max (wt_strerror names the knob) */
  if (e == EINVAL) return WT_EINVAL; /* stack size refused */
  return WT_ENOMEM;
}

/* Caller: starts the deputy thread running fn. 0 or a WT_E code. */
static int start_thread(void *(*fn)(void *), int detached, pthread_t *out) {
  int forced = atomic_exchange(&fail_create_next, 0);
  if (forced) return map_create_error(forced);
  pthread_attr_t a;
  if (pthread_attr_init(&a) != 0) return WT_ENOMEM;
  int e = 0;
  if (ctx.cfg.stack_size) e = pthread_attr_setstacksize(&a, ctx.cfg.stack_size);
  if (!e && detached) e = pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  if (!e) e = pthread_create(out, &a, fn, NULL);
  pthread_attr_destroy(&a);
  return e ? map_create_error(e) : 0;
}

static int take(wt_main_fn main_fn, int argc, char **argv, const wt_deputy_config *cfg) {
  if (!main_fn) return WT_EINVAL;
  /* The I/O thread or a dedicated JS worker thread may neither block (inline) nor be the UI (host). */
  if (wt__proxying_self_flags() & (WT__TF_NOBLOCK | WT__TF_LOOP)) return WT_EINVAL;
  uint32_t idle = 0;
  if (!atomic_compare_exchange_strong(&busy, &idle, 1)) return WT_EBUSY;
  ctx.main_fn = main_fn;
  ctx.argc = argc;
  ctx.argv = argv;
  ctx.cfg = cfg ? *cfg : (wt_deputy_config){0};
  atomic_store(&io_started, 0);
  return 0;
}

static int give_back(int r) {
  atomic_store(&deputy_bits, 0);
  atomic_store(&busy, 0);
  return r;
}

#ifdef __EMSCRIPTEN__
/* ------------------------------------------------------------------ browser */

/* The deputy Worker (UI-thread build): runs main_fn, then ends the program with its code. */
static void *deputy_ui_main(void *unused) {
  (void)unused;
  int r = deputy_prologue(), code;
  if (r == 0) {
    code = ctx.main_fn(ctx.argc, ctx.argv);
  } else {
    fprintf(stderr, "webthreads: wt_deputy_main: the deputy could not start main: %s (%s)\n", wt_err_name(r),
            wt_strerror(r));
    code = 1;
  }
  wt_thread_leave();           /* calls still pending to the deputy are answered (WT_ECANCELED) */
  emscripten_force_exit(code); /* sync proxy to the UI thread, which exits; never returns */
  return NULL;
}

int wt_deputy_main(wt_main_fn main_fn, int argc, char **argv, const wt_deputy_config *cfg) {
  int r = take(main_fn, argc, argv, cfg);
  if (r) return r;
  if (!emscripten_is_main_runtime_thread()) { /* PROXY_TO_PTHREAD (or any pthread): run inline */
    if ((r = deputy_prologue()) != 0) return give_back(r);
    return give_back(ctx.main_fn(ctx.argc, ctx.argv));
  }
  pthread_t t;
  if ((r = start_thread(deputy_ui_main, 1, &t)) != 0) return give_back(r);
  _emscripten_thread_set_strongref(t); /* node: the deputy's Worker keeps the process alive */
  emscripten_exit_with_live_runtime(); /* back to the JS event loop, which serves the pool and calls */
  return 0;                            /* not reached */
}

#else
/* ------------------------------------------------------------------ host backend */

static _Atomic uint32_t finished; /* the deputy has left the registry and is about to return */
static wt_thread host_ui;
static int host_code;

/* The deputy's last act, also when main_fn never returns (pthread_exit, a C++ exception's unwind):
 * then the router's exit destructor leaves after it, and the caller's join waits for that only. */
static void host_finish(void *unused) {
  (void)unused;
  atomic_store(&finished, 1);
  wt__wake(&finished, INT_MAX);
  wt__proxying_wake(host_ui);
}

static void *deputy_host_main(void *unused) {
  (void)unused;
  host_code = WT_ECANCELED; /* what the caller gets when main_fn exits its thread */
  pthread_cleanup_push(host_finish, NULL);
  int r = deputy_prologue();
  host_code = r == 0 ? ctx.main_fn(ctx.argc, ctx.argv) : r;
  wt_thread_leave(); /* before `finished`: nothing of the registry is left to do after it */
  pthread_cleanup_pop(1);
  return NULL;
}

static int is_finished(void *unused) {
  (void)unused;
  return atomic_load(&finished) != 0;
}

int wt_deputy_main(wt_main_fn main_fn, int argc, char **argv, const wt_deputy_config *cfg) {
  int r = take(main_fn, argc, argv, cfg);
  if (r) return r;
  if ((r = wt_thread_adopt_ui()) != 0) return give_back(r);
  host_ui = wt_thread_self();
  atomic_store(&finished, 0);
  pthread_t t;
  if ((r = start_thread(deputy_host_main, 0, &t)) != 0) return give_back(r);
  while (!atomic_load(&finished)) {
    /* The event loop's stand-in. If serving is refused (a caller deep in nested calls: WT_EDEPTH),
     * still wait for the deputy, through the one wait. */
    wt__why why = wt__wait_why(WT_WAIT_DEPUTY, 0);
    if (wt_thread_serve(is_finished, NULL, -1) != 0 && !atomic_load(&finished)) wt__wait(&finished, 0, -1, 0);
    wt__wait_why_restore(why);
  }
  pthread_join(t, NULL); /* the deputy has finished: returns at once */
  return give_back(host_code);
}
#endif

wt_thread wt_deputy_thread(void) {
  return (wt_thread){atomic_load(&deputy_bits)};
}

wt_thread wt__deputy_io_started(void) {
  return (wt_thread){atomic_load(&io_started)};
}

void wt__deputy_fail_next_create(int err) {
  atomic_store(&fail_create_next, err);
}
