/* webthreads — the deputy thread: the program's main off the UI thread.
 *
 * In the deputy design the browser's UI thread only serves the Worker pool, the routed calls and JS;
 * the program's main — a managed runtime's start-up and the application's entry point — runs on a
 * *deputy* pthread, which may block (sync calls, completion waits) like a thread on a server.
 * wt_deputy_main(app_main, argc, argv, &cfg) is the one call that sets this up; `app_main` then runs on
 * the deputy, joined to the registry as a normal thread (not the UI thread, no role: it may block), and
 * the UI thread, serving from its JS event loop, answers what the deputy routes to it.
 *
 * Where it runs, by build:
 *   - browser, program linked WITHOUT -sPROXY_TO_PTHREAD: main() runs on the UI thread and calls
 *     `return wt_deputy_main(app_main, argc, argv, &cfg);`. The UI thread starts the deputy pthread
 *     (asynchronously: it never waits for a Worker to boot) and goes back to its JS event loop with the
 *     runtime kept alive (emscripten_exit_with_live_runtime: wt_deputy_main does not return then).
 *     When app_main returns N, the deputy ends the program with exit status N
 *     (emscripten_force_exit(N), run on the UI thread: node's exit code, Module.onExit(N) in a page).
 *     What it gives: main() on the UI thread may set things up (JS, DOM) synchronously before the
 *     deputy starts, and the library owns the deputy's start (its stack size) and the exit.
 *   - browser, program linked WITH -sPROXY_TO_PTHREAD: main() already runs on emscripten's own pthread,
 *     so wt_deputy_main runs app_main inline on it (it *is* the deputy) and returns its code; main()
 *     returns it and emscripten ends the program with it. What it gives: emscripten's usual start-up
 *     (the runtime waits for main's thread), nothing to change in an existing PROXY_TO_PTHREAD program.
 *   The library needs neither: both give the same deputy (a joined, normal, blocking thread with the UI
 *   thread serving from its event loop). Pick by what the rest of the program expects.
 *   - host backend (plain pthreads, the GoogleTest suite): the caller takes the UI role
 *     (wt_thread_adopt_ui; it keeps it afterwards), starts the deputy pthread and serves its own mailbox
 *     (wt_thread_serve: the event loop's stand-in) until the deputy has finished, then joins it and
 *     returns app_main's code.
 *
 * In every case, with cfg->start_io_thread the deputy starts the library's I/O thread (wt_io_thread,
 * webthreads/worker.h) before app_main runs, so continuations of UI-settled completions can run while
 * app_main blocks.
 *
 * Exit. Return from app_main to end the program. In the UI-thread build, a plain exit(N) called on the
 * deputy does not end a page (emscripten forwards it to the UI thread, whose runtime is kept alive for
 * its event loop; node happens to exit with N): return N, or call emscripten_force_exit(N).
 *
 * Errors are negative WT_E... codes (webthreads/error.h).
 */
#ifndef WEBTHREADS_DEPUTY_H
#define WEBTHREADS_DEPUTY_H

#include <stddef.h>

#include "webthreads/error.h"
#include "webthreads/proxying.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The program's entry point as the deputy runs it. Its return value is the program's exit status. */
typedef int (*wt_main_fn)(int argc, char **argv);

/* How the deputy starts. Zero (or a NULL pointer) means the defaults. */
typedef struct wt_deputy_config {
  size_t stack_size;   /* deputy's stack in bytes; 0: the platform default (emscripten: -sSTACK_SIZE,
                          host: the pthread default). Ignored where app_main runs inline. */
  int start_io_thread; /* non-zero: start the I/O thread (wt_io_thread) before app_main runs */
} wt_deputy_config;

/* Runs main_fn(argc, argv) on the deputy thread (see the file comment for where that is). argv is
 * passed on as is: it must stay valid while main_fn runs (main()'s own argv does). cfg may be NULL
 * (defaults) and is copied.
 * Calling thread: the UI thread (browser without PROXY_TO_PTHREAD), main's pthread (PROXY_TO_PTHREAD),
 * or any host thread that may become the UI thread. One deputy at a time per process.
 * Blocks: host and inline: until main_fn returns (host: serving the caller's mailbox meanwhile through
 * the library's one wait). Browser UI thread: never; on success it does not return at all (the UI
 * thread unwinds to its JS event loop, the program ends with main_fn's code).
 * Allocates: the deputy's pthread (host, browser UI thread).
 * Returns main_fn's return value (host, inline); host: WT_ECANCELED when main_fn never returned (it
 * exited its thread: pthread_exit); or a negative code, and then main_fn did not run:
 * WT_EINVAL (main_fn NULL; stack_size refused by pthread_attr_setstacksize; inline: the caller is a
 * thread with a role that may not block — the I/O thread or a dedicated JS worker thread);
 * WT_EBUSY (a deputy is running already — this includes a call from inside main_fn — or, host, another
 * live thread is the UI thread); WT_EAGAIN (pthread_create refused: the Worker pool is at its max);
 * WT_ENOMEM (pthread_create failed otherwise); WT_EFULL (the registry is full); an error of
 * wt_io_thread (start_io_thread set and the I/O thread could not be started). In the browser UI-thread
 * build, a failure on the deputy before main_fn (registry full, I/O thread) is printed to stderr with
 * wt_strerror and ends the program with status 1. */
int wt_deputy_main(wt_main_fn main_fn, int argc, char **argv, const wt_deputy_config *cfg);

/* The running deputy's id: WT_THREAD_NONE before it has joined (the UI thread gets 0 from
 * wt_deputy_main before the Worker booted) and after wt_deputy_main returned (host, inline). Any
 * thread; lock-free. */
wt_thread wt_deputy_thread(void);

#ifdef __cplusplus
}
#endif
#endif /* WEBTHREADS_DEPUTY_H */
