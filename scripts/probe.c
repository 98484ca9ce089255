// Toolchain probe run by scripts/bootstrap: one pthread proxies a call to the main thread through a
// custom em_proxying_queue. Prints "probe ok" when the call ran on the main thread.
#include <emscripten/proxying.h>
#include <emscripten/threading.h>
#include <pthread.h>
#include <stdio.h>

static em_proxying_queue *queue;
static int ran_on_main;

static void on_main(void *arg) { (void)arg; ran_on_main = emscripten_is_main_runtime_thread(); }

static void *worker(void *arg) {
  (void)arg;
  int ok = emscripten_proxy_sync(queue, emscripten_main_runtime_thread_id(), on_main, NULL);
  return (void *)(long)ok;
}

int main(void) {
  queue = em_proxying_queue_create();
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) != 0) { puts("probe: pthread_create failed"); return 1; }
  // PROXY_TO_PTHREAD: this main is itself a worker; the main runtime thread serves the queue.
  void *res;
  pthread_join(t, &res);
  if (!res || !ran_on_main) { puts("probe: proxied call did not run on the main thread"); return 1; }
  puts("probe ok");
  return 0;
}
