/* Internal: which kind of build this is.
 *
 * WT_SINGLE_THREADED is defined (1) in a build with one thread and no way to make another:
 *   - emscripten without -pthread (the `wasm-st` preset, CMake option WT_THREADS=OFF): no Worker, no
 *     SharedArrayBuffer; the thread has the browser's (or node's) event loop;
 *   - wasm32-wasi without threads (the `wasi` preset, cmake/wasi.cmake): no event loop at all, the
 *     program's own loop is the only one (wt_thread_poll runs what is queued).
 * The modules then build as follows (the contract is in each public header; docs/single-threaded.md
 * and docs/wasi.md have the tables):
 *   proxying/  router.c as in every build, over proxying/backend_st.c (emscripten) or backend_wasi.c:
 *              calls to oneself run inline, every other id is refused by the registry (WT_ENOENT /
 *              WT_ESTALE); what is queued to oneself runs at the next wt_thread_poll, and under
 *              emscripten also from a 0 ms timer on the one event loop;
 *   handles/, completion/, runtime/, common/  the same C, on the one thread (no JS bridges);
 *   pool/, worker/, deputy/  *_st.c stubs: every call returns WT_ENOTSUP.
 * Everywhere else (host, threaded wasm) it is not defined and nothing changes. Select on this macro
 * (and __EMSCRIPTEN__ / __wasi__ for what differs between the two); sources.cmake files pick the
 * *_st.c files with the CMake variable WT_SINGLE_THREADED. The core includes "common/pthread.h"
 * rather than <pthread.h>: wasi-libc without threads has none. */
#ifndef WT_COMMON_THREADS_H
#define WT_COMMON_THREADS_H

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define WT_SINGLE_THREADED 1
#elif defined(__wasi__) && !defined(_REENTRANT) /* wasm32-wasi; -pthread (wasip1-threads) defines it */
#define WT_SINGLE_THREADED 1
#endif

#endif
