// hello-mono: a Mono embedder on webthreads, shaped like a runtime's native start-up in the deputy
// design (the runtime and the managed Main on the deputy, the UI thread serving). docs/integrating.md
// builds it step by step against Debian's Mono 6.8 on the host, and test/docs/integrating_test.sh runs
// those steps exactly as written (host.docs.integrating_mono).
//
//   main()            becomes the UI thread: wt_deputy_main starts the deputy and serves the calls routed
//                     to this thread until the deputy has finished (on the host, wt_thread_serve stands in
//                     for the browser's event loop);
//   app_main()        on the deputy, in this order: the runtimeconfig properties to webthreads
//                     (wt_config_apply_properties), mono_jit_init, wt_mono_glue_install (right after it,
//                     before any other thread uses webthreads), then the managed Main (Hello.cs);
//   Hello.Main        starts THREADS C# threads; each one P/Invokes hello_ui_add, which checks that the
//                     glue attached it to webthreads and makes a sync call to the UI thread.
// When Main has returned and the threads have left webthreads (the glue detaches each one as Mono does),
// it prints one line and returns Main's exit status:
//   hello-mono: 4 calls from attached C# threads ran on the UI thread, total 10; 4 of 4 threads left at exit
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <mono/jit/jit.h>
#include <mono/metadata/assembly.h>

#include "webthreads/config.h"
#include "webthreads/deputy.h"
#include "webthreads/mono_glue.h"
#include "webthreads/proxying.h"
#include "webthreads/runtime.h"

enum { THREADS = 4 }; // Hello.cs starts as many

// The UI thread's own state: only functions routed to the UI thread read or write it.
static int ui_total, ui_calls;

static int ui_add(wt_call *call, void *arg) {
  if (!wt_thread_is_ui()) return 1;
  ui_total += *(int *)arg;
  ui_calls++;
  return 0;
}

static int ui_read(wt_call *call, void *arg) {
  ((int *)arg)[0] = ui_total, ((int *)arg)[1] = ui_calls;
  return 0;
}

// The C# threads' webthreads ids, one per call (C# passes 1..THREADS).
static _Atomic uint64_t caller[THREADS];

// Called from C# ([DllImport("__Internal")]; the program is linked with -rdynamic) on C# threads.
// Returns 0, -1 when the calling thread is not attached to webthreads (or n is out of range), or
// wt_call_sync's error.
__attribute__((visibility("default"))) int hello_ui_add(int n) {
  if (!wt_runtime_thread_is_attached() || n < 1 || n > THREADS) return -1;
  caller[n - 1] = wt_thread_self().bits;
  return wt_call_sync(wt_thread_ui(), ui_add, &n, -1, NULL);
}

// The glue detaches a C# thread as Mono detaches it, which may be just after Join returned: waits (10 s
// at most) until every caller's id is stale (it left webthreads). Returns how many left.
static int callers_left(void) {
  int left = 0;
  for (int ms = 0; ms < 10000; ms++) {
    left = 0;
    for (int i = 0; i < THREADS; i++)
      left += caller[i] && wt_thread_check((wt_thread){caller[i]}) == WT_ESTALE;
    if (left == THREADS) break;
    nanosleep(&(struct timespec){0, 1000000}, NULL);
  }
  return left;
}

// The runtime's start-up and the managed program, on the deputy. argv[1]: the assembly (Hello.exe).
static int app_main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: %s Hello.exe\n", argv[0]), 2;

  // 1. The app's runtimeconfig.json configProperties, as the runtime hands them to the VM: webthreads
  //    takes its knobs and the thread-pool limits (docs/config.md), and ignores the others' keys.
  static const char *const keys[] = {"System.Threading.ThreadPool.MaxThreads", "webthreads.pool.max",
                                     "System.GC.Server"};
  static const char *const values[] = {"8", "16", "false"};
  wt_config_report report;
  if (wt_config_apply_properties(3, keys, values, &report) != 0)
    return printf("FAIL: %s\n", report.message), 1;

  // 2. The runtime, then 3. the glue: after mono_jit_init (it needs the root domain), before any
  //    other thread uses webthreads. From here on every thread Mono attaches joins webthreads.
  MonoDomain *domain = mono_jit_init(argv[1]);
  int r = wt_mono_glue_install();
  if (r) return printf("FAIL: wt_mono_glue_install: %s\n", wt_err_name(r)), 1;
  MonoAssembly *assembly = mono_domain_assembly_open(domain, argv[1]);
  if (!assembly) return printf("FAIL: cannot load %s\n", argv[1]), 1;

  // 4. The managed Main.
  int status = mono_jit_exec(domain, assembly, argc - 1, argv + 1);

  int ui[2] = {0, 0};
  r = wt_call_sync(wt_thread_ui(), ui_read, ui, -1, NULL);
  if (r) return printf("FAIL: wt_call_sync: %s\n", wt_err_name(r)), 1;
  int left = callers_left();
  printf("hello-mono: %d calls from attached C# threads ran on the UI thread, total %d; %d of %d threads "
         "left at exit\n",
         ui[1], ui[0], left, THREADS);
  fflush(stdout);
  mono_jit_cleanup(domain);
  return status == 0 && left == THREADS && ui[1] == THREADS && ui[0] == THREADS * (THREADS + 1) / 2 ? 0 : 1;
}

int main(int argc, char **argv) {
  // This thread becomes the UI thread and serves until app_main has returned on the deputy.
  return wt_deputy_main(app_main, argc, argv, NULL);
}
