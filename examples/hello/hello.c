// hello: the smallest program on webthreads. docs/integrating.md builds it step by step, and
// test/docs/integrating_test.sh runs those steps exactly as written (node.docs.integrating).
//
// main() runs on the UI thread (the page's main thread; under node, the main thread) and hands the
// program to the deputy thread with wt_deputy_main. From then on the UI thread only serves: it boots the
// Workers that pthread_create needs and runs the calls routed to it, from its JS event loop; it never
// blocks. app_main runs on the deputy, a thread that may block, like main() on a server:
//   1. it starts THREADS pthreads (the pool gives each a Worker); each one makes a sync call to the UI
//      thread, which adds the thread's number into a total that only the UI thread touches;
//   2. it joins them, posts (fire and forget) a greeting to the UI thread — in a page it sets
//      document.title — and reads the UI thread's counts with one more sync call: calls from one thread
//      run in the order they were sent (docs/proxying.md), so the post has run by then;
//   3. it prints one line and returns 0, the program's exit status:
//        hello: 4 threads, 4 sync calls and 1 post ran on the UI thread, total 10
#include <pthread.h>
#include <stdio.h>

#include <emscripten/emscripten.h>

#include "webthreads/deputy.h"
#include "webthreads/proxying.h"

enum { THREADS = 4 };

// The UI thread's own state: only functions routed to the UI thread read or write it.
static int ui_total, ui_calls, ui_posts;

// Runs on the UI thread (routed there by wt_call_sync). A non-zero return reaches the caller as WT_ECALL.
static int ui_add(wt_call *call, void *arg) {
  if (!wt_thread_is_ui()) return 1;
  ui_total += *(int *)arg;
  ui_calls++;
  return 0;
}

// Runs on the UI thread (wt_post): in a page, where the DOM is, it sets the title.
static int ui_greet(wt_call *call, void *arg) {
  if (!wt_thread_is_ui()) return 1;
  /* clang-format off */
  EM_ASM({ if (typeof document == 'object') document.title = UTF8ToString($0); }, (const char *)arg);
  /* clang-format on */
  ui_posts++;
  return 0;
}

typedef struct counts {
  int total, calls, posts;
} counts;

// Runs on the UI thread: copies its state for the deputy (the sync call orders the accesses).
static int ui_read(wt_call *call, void *arg) {
  *(counts *)arg = (counts){ui_total, ui_calls, ui_posts};
  return 0;
}

// A pthread: one blocking call to the UI thread (timeout -1: as long as the UI thread lives).
static void *worker(void *arg) {
  int r = wt_call_sync(wt_thread_ui(), ui_add, arg, -1, NULL);
  if (r) printf("FAIL: wt_call_sync from a worker: %s\n", wt_err_name(r));
  return NULL;
}

// The program, on the deputy thread. Its return value is the exit status.
static int app_main(int argc, char **argv) {
  if (wt_thread_is_ui()) return printf("FAIL: app_main runs on the UI thread\n"), 1;
  pthread_t th[THREADS];
  int number[THREADS];
  for (int i = 0; i < THREADS; i++) {
    number[i] = i + 1;
    int rc = pthread_create(&th[i], NULL, worker, &number[i]);
    if (rc) return printf("FAIL: pthread_create: %d\n", rc), 1;
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(th[i], NULL);

  static const char title[] = "hello from webthreads";
  int r = wt_post(wt_thread_ui(), ui_greet, NULL, (void *)title);
  counts c = {0};
  if (r == 0) r = wt_call_sync(wt_thread_ui(), ui_read, &c, -1, NULL);
  if (r) return printf("FAIL: routing to the UI thread: %s\n", wt_err_name(r)), 1;

  printf("hello: %d threads, %d sync calls and %d post ran on the UI thread, total %d\n", THREADS, c.calls,
         c.posts, c.total);
  return c.calls == THREADS && c.posts == 1 && c.total == THREADS * (THREADS + 1) / 2 ? 0 : 1;
}

int main(int argc, char **argv) {
  // On the UI thread: starts the deputy and returns to the event loop (it does not return here); the
  // program ends with app_main's return value. Anything that must happen on the UI thread before the
  // program starts (JS set-up) goes before this call.
  return wt_deputy_main(app_main, argc, argv, NULL);
}
