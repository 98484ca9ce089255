/* Test support: counts heap allocations made by the calling thread (wt_test_allocs_self) and the frees
 * it makes (wt_test_frees_self), and, in plain glibc builds only, makes the calling thread's next
 * allocations fail (wt_test_fail_allocs_self: returns 0 where that is not supported).
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
static __thread long tl_allocs, tl_frees;
/* <sanitizer/allocator_interface.h> (not every toolchain ships the header; the runtime has it) */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));

static void on_malloc(const volatile void *p, size_t n) {
  (void)p;
  (void)n;
  tl_allocs++;
}
static void on_free(const volatile void *p) {
  if (p) tl_frees++;
}

__attribute__((constructor)) static void install(void) { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }

long wt_test_allocs_self(void) { return tl_allocs; }
long wt_test_frees_self(void) { return tl_frees; }
int wt_test_fail_allocs_self(int n) {
  (void)n;
  return 0;
}

#elif defined(__GLIBC__) && !defined(__EMSCRIPTEN__)
static __thread long tl_allocs, tl_frees;
static __thread int tl_fail; /* the calling thread's next tl_fail allocations return NULL */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

#define WT_FAIL_HERE() (tl_fail > 0 && tl_fail-- > 0)

void *malloc(size_t n) {
  if (WT_FAIL_HERE()) return NULL;
  tl_allocs++;
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
  if (WT_FAIL_HERE()) return NULL;
  tl_allocs++;
  return __libc_calloc(a, b);
}
void free(void *p) {
  if (p) tl_frees++;
  __libc_free(p);
}
void *realloc(void *p, size_t n) {
  if (p) tl_frees++; /* net: the old block goes, a new one comes */
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
long wt_test_frees_self(void) { return tl_frees; }
int wt_test_fail_allocs_self(int n) {
  tl_fail = n;
  return 1;
}

#else
long wt_test_allocs_self(void) { return -1; }
long wt_test_frees_self(void) { return -1; }
int wt_test_fail_allocs_self(int n) {
  (void)n;
  return 0;
}
#endif
