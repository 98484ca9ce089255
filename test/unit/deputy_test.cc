// The deputy thread (deputy/, webthreads/deputy.h): main_fn runs on a joined, normal thread while the
// UI thread serves. Host: wt_deputy_main is called on a fresh thread that becomes the UI thread (and
// exits afterwards, so the role is free for the next test); the deputy is another thread. wasm (this
// binary is linked with -sPROXY_TO_PTHREAD, the tests run on a pthread): wt_deputy_main runs main_fn
// inline on the calling thread, and the UI thread is the real main runtime thread, serving from its JS
// event loop. The UI-thread build's own path (a deputy pthread started from the UI thread) is tested by
// test/deputy's wasm programs.
#include "webthreads/deputy.h"
#include "webthreads/worker.h"

#include "deputy/internal.h"
#include "test/unit/test_threads.h"
#include "worker/internal.h"

#include <errno.h>
#include <pthread.h>

#include <atomic>
#include <cstring>
#include <string>

#ifdef __EMSCRIPTEN__
#include <emscripten/threading.h>
#endif

using namespace wtt;

namespace {

// Runs wt_deputy_main as the program's main would: host, on a fresh thread (it becomes the UI
// thread, and leaves with its exit); wasm, on this thread (inline). `caller` gets the caller's thread.
int RunDeputy(wt_main_fn fn, int argc, char **argv, const wt_deputy_config *cfg,
              pthread_t *caller = nullptr) {
#ifdef __EMSCRIPTEN__
  if (caller) *caller = pthread_self();
  return wt_deputy_main(fn, argc, argv, cfg);
#else
  std::atomic<int> rc{-999};
  pthread_t who{};
  Thread t([&] {
    who = pthread_self();
    rc = wt_deputy_main(fn, argc, argv, cfg);
  });
  t.Join();
  if (caller) *caller = who;
  return rc.load();
#endif
}

// Observations made inside main_fn (plain function pointers: no captures).
struct Seen {
  std::atomic<int> ran{0};
  pthread_t thread{};
  wt_thread self{}, deputy{}, ui{};
  int is_ui = -1, check = -999, argc = -1;
  std::string argv1;
  // routed calls to the UI thread
  int async_rc = -999, async_status = -999, async_on_ui = -1;
  int post_rc = -999, post_back = 0;
  int sync_rc = -999, sync_on_ui = -1;
  pthread_t ui_thread{};
  // I/O thread
  wt_thread io_hook{}, io{};
  unsigned io_starts = 99;
  int io_check = -999, io_call = -999;
  // nested wt_deputy_main
  int nested = -999;
};
Seen *seen;

// Runs on the UI thread: records where it ran.
int OnUi(wt_call *, void *p) {
  Seen *s = static_cast<Seen *>(p);
  s->ui_thread = pthread_self();
  return wt_thread_is_ui() ? 0 : 5;
}

int App(int argc, char **argv) {
  Seen *s = seen;
  s->thread = pthread_self();
  s->self = wt_thread_self();
  s->deputy = wt_deputy_thread();
  s->ui = wt_thread_ui();
  s->is_ui = wt_thread_is_ui();
  s->check = wt_thread_check(s->self);
  s->argc = argc;
  if (argc > 1) s->argv1 = argv[1];
  s->ran++;
  return 7;
}

int AppCallsTheUi(int, char **) {
  Seen *s = seen;
  s->self = wt_thread_self();
  s->is_ui = wt_thread_is_ui();
  // async: the completion comes back to the deputy's mailbox, served while it waits here
  std::atomic<bool> done{false};
  struct Ctx {
    Seen *s;
    std::atomic<bool> *done;
  } ctx{s, &done};
  s->async_rc = wt_call_async(
      wt_thread_ui(), OnUi, s,
      [](const wt_result *r, void *p) {
        Ctx *c = static_cast<Ctx *>(p);
        c->s->async_status = r->status;
        c->s->async_on_ui = r->status == 0;
        c->done->store(true);
      },
      &ctx);
  if (s->async_rc == 0) ServeUntil([&] { return done.load(); });
  // post: the UI thread posts back to the deputy
  std::atomic<int> back{0};
  struct PostCtx {
    wt_thread deputy;
    std::atomic<int> *back;
  } pc{s->self, &back};
  s->post_rc = wt_post(
      wt_thread_ui(),
      [](wt_call *, void *p) {
        PostCtx *c = static_cast<PostCtx *>(p);
        c->back->store(wt_thread_is_ui() ? -1 : -2); // 1 / 2 once back on the deputy
        wt_post(
            c->deputy,
            [](wt_call *, void *q) {
              auto *b = static_cast<std::atomic<int> *>(q);
              b->store(-b->load());
              return 0;
            },
            nullptr, c->back);
        return 0;
      },
      nullptr, &pc);
  if (s->post_rc == 0) ServeUntil([&] { return back.load() > 0; });
  s->post_back = back.load();
  // sync: answered because the UI thread serves (host: wt_thread_serve; browser: its event loop)
  s->sync_rc = wt_call_sync(wt_thread_ui(), OnUi, s, kHang, nullptr);
  s->sync_on_ui = s->sync_rc == 0;
  return 3;
}

int AppIo(int, char **) {
  Seen *s = seen;
  s->io_hook = wt__deputy_io_started();  // before main_fn touches wt_io_thread
  s->io_starts = wt__worker_io_starts(); // the thread was started for it (or earlier in the process)
  s->io_check = s->io_hook.bits ? wt_thread_check(s->io_hook) : -1;
  if (wt_io_thread(&s->io) == 0) s->io_call = RunOn(s->io, [] {});
  return 0;
}

int AppNested(int, char **) {
  seen->nested = wt_deputy_main(App, 0, nullptr, nullptr);
  return 0;
}

} // namespace

TEST(Deputy, ReturnsMainsCodeAndPassesArgs) {
  Seen s;
  seen = &s;
  char a0[] = "prog", a1[] = "arg-one";
  char *argv[] = {a0, a1, nullptr};
  EXPECT_EQ(RunDeputy(App, 2, argv, nullptr), 7);
  EXPECT_EQ(s.ran.load(), 1);
  EXPECT_EQ(s.argc, 2);
  EXPECT_EQ(s.argv1, "arg-one");
}

TEST(Deputy, MainRunsOnAJoinedNormalThreadAndTheDeputyIdIsItsOwn) {
  Seen s;
  seen = &s;
  pthread_t caller{};
  ASSERT_EQ(RunDeputy(App, 0, nullptr, nullptr, &caller), 7);
#ifdef __EMSCRIPTEN__
  EXPECT_TRUE(pthread_equal(s.thread, caller))
      << "inline under PROXY_TO_PTHREAD: main's own pthread is the deputy";
  EXPECT_FALSE(emscripten_is_main_runtime_thread());
#else
  EXPECT_FALSE(pthread_equal(s.thread, caller)) << "host: main_fn runs on a deputy thread, not the caller";
#endif
  EXPECT_NE(s.self.bits, 0u) << "joined";
  EXPECT_EQ(s.check, 0);
  EXPECT_TRUE(wt_thread_equal(s.deputy, s.self)) << "wt_deputy_thread() is the thread running main_fn";
  EXPECT_EQ(s.is_ui, 0) << "a normal thread, not the UI thread";
  EXPECT_NE(s.ui.bits, 0u) << "there is a UI thread meanwhile";
  EXPECT_FALSE(wt_thread_equal(s.ui, s.self));
  EXPECT_EQ(wt_deputy_thread().bits, 0u) << "none once wt_deputy_main returned";
#ifndef __EMSCRIPTEN__
  EXPECT_EQ(wt_thread_check(s.self), WT_ESTALE) << "host: the deputy left the registry when it finished";
#endif
}

TEST(Deputy, TheUiThreadServesTheDeputysCalls) {
  Seen s;
  seen = &s;
  pthread_t caller{};
  ASSERT_EQ(RunDeputy(AppCallsTheUi, 0, nullptr, nullptr, &caller), 3);
  EXPECT_EQ(s.is_ui, 0);
  EXPECT_EQ(s.async_rc, 0);
  EXPECT_EQ(s.async_status, 0) << wt_strerror(s.async_status);
  EXPECT_EQ(s.async_on_ui, 1);
  EXPECT_EQ(s.post_rc, 0);
  EXPECT_EQ(s.post_back, 1) << "the post ran on the UI thread (1; 2: elsewhere), which posted back";
  EXPECT_EQ(s.sync_rc, 0) << wt_strerror(s.sync_rc);
  EXPECT_EQ(s.sync_on_ui, 1);
#ifndef __EMSCRIPTEN__
  EXPECT_TRUE(pthread_equal(s.ui_thread, caller)) << "host: the caller is the UI thread and serves";
#else
  EXPECT_FALSE(pthread_equal(s.ui_thread, caller));
#endif
}

// Before IoThreadStartedBeforeMainWhenConfigured: in a process where nothing started the I/O thread
// yet (--gtest_filter='Deputy*'), it also shows that nothing starts it unasked.
TEST(Deputy, NoIoThreadUnlessConfigured) {
  Seen s;
  seen = &s;
  unsigned before = wt__worker_io_starts();
  wt_deputy_config cfg{};
  ASSERT_EQ(RunDeputy(AppIo, 0, nullptr, &cfg), 0);
  EXPECT_EQ(s.io_hook.bits, 0u);
  if (before == 0) {
    EXPECT_EQ(s.io_starts, 0u) << "the deputy started the I/O thread unasked";
  }
}

TEST(Deputy, IoThreadStartedBeforeMainWhenConfigured) {
  Seen s;
  seen = &s;
  unsigned before = wt__worker_io_starts();
  wt_deputy_config cfg{};
  cfg.start_io_thread = 1;
  ASSERT_EQ(RunDeputy(AppIo, 0, nullptr, &cfg), 0);
  ASSERT_NE(s.io_hook.bits, 0u) << "the deputy started no I/O thread";
  EXPECT_EQ(s.io_check, 0) << "live when main_fn starts";
  EXPECT_EQ(s.io_starts, 1u) << (before == 0 ? "started by the deputy (none before)" : "started earlier");
  EXPECT_TRUE(wt_thread_equal(s.io, s.io_hook)) << "the library's one I/O thread";
  EXPECT_EQ(s.io_call, 0) << "it serves";
}

TEST(Deputy, EINVAL_NullMain) {
  wt_thread ui = wt_thread_ui();
  EXPECT_EQ(wt_deputy_main(nullptr, 0, nullptr, nullptr), WT_EINVAL);
  EXPECT_TRUE(wt_thread_equal(wt_thread_ui(), ui)) << "nothing changed";
  EXPECT_EQ(wt_deputy_thread().bits, 0u);
}

TEST(Deputy, EINVAL_FromTheIoThread) {
  wt_thread io;
  ASSERT_EQ(wt_io_thread(&io), 0);
  std::atomic<int> rc{-999};
  ASSERT_EQ(RunOn(io, [&] { rc = wt_deputy_main(App, 0, nullptr, nullptr); }), 0);
  EXPECT_EQ(rc.load(), WT_EINVAL) << "a thread that never blocks can be neither the deputy nor its UI thread";
}

TEST(Deputy, EBUSY_FromInsideMain) {
  Seen s;
  seen = &s;
  ASSERT_EQ(RunDeputy(AppNested, 0, nullptr, nullptr), 0);
  EXPECT_EQ(s.nested, WT_EBUSY);
  EXPECT_EQ(s.ran.load(), 0) << "the nested main_fn never ran";
}

namespace {
Event *block_release;
std::atomic<int> block_entered{0};
int AppBlocks(int, char **) {
  block_entered = 1;
  return block_release->Wait() ? 11 : 12;
}
} // namespace

TEST(Deputy, EBUSY_WhileADeputyRuns) {
  Event release;
  block_release = &release;
  block_entered = 0;
  std::atomic<int> second{-999};
  Thread other([&] {
    if (!WaitFor([] { return block_entered.load() != 0; })) return;
    second = wt_deputy_main(App, 0, nullptr, nullptr);
    release.Set();
  });
  EXPECT_EQ(RunDeputy(AppBlocks, 0, nullptr, nullptr), 11);
  other.Join();
  EXPECT_EQ(second.load(), WT_EBUSY);
  // Given back when it returned: the next one runs.
  Seen s;
  seen = &s;
  EXPECT_EQ(RunDeputy(App, 0, nullptr, nullptr), 7);
}

#ifndef __EMSCRIPTEN__
TEST(Deputy, EBUSY_AnotherThreadIsTheUiThread) {
  std::atomic<bool> stop{false};
  Event up;
  Thread ui([&] {
    ASSERT_EQ(wt_thread_adopt_ui(), 0);
    up.Set();
    ServeUntil([&] { return stop.load(); });
  });
  ASSERT_TRUE(up.Wait());
  Seen s;
  seen = &s;
  EXPECT_EQ(RunDeputy(App, 0, nullptr, nullptr), WT_EBUSY);
  EXPECT_EQ(s.ran.load(), 0);
  EXPECT_EQ(wt_post(
                wt_thread_ui(),
                [](wt_call *, void *p) {
                  static_cast<std::atomic<bool> *>(p)->store(true);
                  return 0;
                },
                nullptr, &stop),
            0);
  ui.Join();
  EXPECT_EQ(RunDeputy(App, 0, nullptr, nullptr), 7) << "given back after the refusal";
}

namespace {
int AppExitsItsThread(int, char **) {
  seen->ran++;
  pthread_exit(nullptr);
}
} // namespace

// A main_fn that never returns (pthread_exit) still ends the caller's wait: no hang, WT_ECANCELED.
TEST(Deputy, MainThatExitsItsThreadGivesECANCELED) {
  Seen s;
  seen = &s;
  EXPECT_EQ(RunDeputy(AppExitsItsThread, 0, nullptr, nullptr), WT_ECANCELED);
  EXPECT_EQ(s.ran.load(), 1);
  EXPECT_EQ(wt_deputy_thread().bits, 0u);
  EXPECT_EQ(RunDeputy(App, 0, nullptr, nullptr), 7) << "given back";
}

TEST(Deputy, EAGAIN_WhenTheDeputyCannotStart) {
  Seen s;
  seen = &s;
  wt__deputy_fail_next_create(EAGAIN);
  int rc = RunDeputy(App, 0, nullptr, nullptr);
  EXPECT_EQ(rc, WT_EAGAIN);
  EXPECT_NE(std::string(wt_strerror(rc)).find("max"), std::string::npos) << "the message names the knob";
  wt__deputy_fail_next_create(ENOMEM);
  EXPECT_EQ(RunDeputy(App, 0, nullptr, nullptr), WT_ENOMEM);
  EXPECT_EQ(s.ran.load(), 0);
  EXPECT_EQ(RunDeputy(App, 0, nullptr, nullptr), 7) << "given back after the failures";
}

TEST(Deputy, EINVAL_StackSizeRefused) {
  Seen s;
  seen = &s;
  wt_deputy_config cfg{};
  cfg.stack_size = 1; // below PTHREAD_STACK_MIN
  EXPECT_EQ(RunDeputy(App, 0, nullptr, &cfg), WT_EINVAL);
  EXPECT_EQ(s.ran.load(), 0);
  cfg.stack_size = 1 << 20;
  EXPECT_EQ(RunDeputy(App, 0, nullptr, &cfg), 7);
}
#else
TEST(Deputy, WasmUnitBinaryRunsInlineOnMainsPthread) {
  // The UI-thread build (deputy pthread started from the UI thread) cannot run inside this
  // PROXY_TO_PTHREAD binary; test/deputy's wasm programs cover it (node and Chromium).
  EXPECT_FALSE(emscripten_is_main_runtime_thread());
  EXPECT_NE(wt_thread_ui().bits, 0u);
}
#endif
