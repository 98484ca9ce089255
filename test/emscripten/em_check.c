// test/emscripten: the program the internals check is tried on (check_test.sh). One thread started
// and joined through the pool; prints EMCHECK ok.
#include <pthread.h>
#include <stdio.h>

static void *run(void *arg) { return arg; }

int main(void) {
  pthread_t t;
  void *ret = NULL;
  if (pthread_create(&t, NULL, run, (void *)42) != 0 || pthread_join(t, &ret) != 0 || ret != (void *)42) {
    printf("FAIL: a thread did not start and join\n");
    return 1;
  }
  printf("EMCHECK ok\n");
  return 0;
}
