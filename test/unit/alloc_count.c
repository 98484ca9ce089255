/* Test support: counts heap allocations made by the calling thread (wt_test_allocs_self).
 * Sanitizer builds: the sanitizer's malloc hooks. Plain glibc builds: malloc and friends interposed in
 * the test binary, forwarding to glibc's. Elsewhere (wasm): not counted (-1). */
#include <stddef.h>
#include <stdlib.h> /* defines __GLIBC__ where it is glibc */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WT_COUNT_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WT_COUNT_SANITIZER 1
#endif
#endif


#if defined(WT_COUNT_SANITIZER)
static __thread long tl_allocs;
/* <sanitizer/allocator_interface.h> (not every toolchain ships the header; the runtime has it) */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));

static void on_malloc(const volatile void *p, size_t n) {
  (void)p;
  (void)n;
  tl_allocs++;
}
static void on_free(const volatile void *p) { (void)p; }

__attribute__((constructor)) static void install(void) { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }

long wt_test_allocs_self(void) { return tl_allocs; }

#elif defined(__GLIBC__) && !defined(__EMSCRIPTEN__)
static __thread long tl_allocs;
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) {
  tl_allocs++;
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
  tl_allocs++;
  return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
  tl_allocs++;
  return __libc_realloc(p, n);
}
void *memalign(size_t a, size_t n) {
  tl_allocs++;
  return __libc_memalign(a, n);
}
void *aligned_alloc(size_t a, size_t n) {
  tl_allocs++;
  return __libc_memalign(a, n);
}
int posix_memalign(void **out, size_t a, size_t n) {
  tl_allocs++;
  void *p = __libc_memalign(a, n);
  if (!p) return 12; /* ENOMEM */
  *out = p;
  return 0;
}

long wt_test_allocs_self(void) { return tl_allocs; }

#else
long wt_test_allocs_self(void) { return -1; }
#endif
