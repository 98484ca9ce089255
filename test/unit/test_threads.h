// Test helpers shared by the unit suite's module tests: a joinable thread with a chosen stack, a
// one-shot event with a deadline, a registry thread that serves its mailbox until stopped.
#ifndef WT_TEST_UNIT_TEST_THREADS_H
#define WT_TEST_UNIT_TEST_THREADS_H

#include "webthreads/proxying.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
// Iteration counts under wasm (Workers on 2 cores): the same code paths, fewer rounds.
#define WT_TEST_SCALE(host, wasm) (wasm)
#else
#define WT_TEST_SCALE(host, wasm) (host)
#endif

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>

namespace wtt {

constexpr int kHang = 60000;  // ms: only turns a hang into a failure

// A joinable thread with a chosen stack size (nested calls recurse).
class Thread {
 public:
  explicit Thread(std::function<void()> fn, size_t stack = 0) : fn_(std::move(fn)) {
    pthread_attr_t a;
    pthread_attr_init(&a);
    if (stack) pthread_attr_setstacksize(&a, stack);
    int r = pthread_create(&t_, &a, &Thread::Run, this);
    pthread_attr_destroy(&a);
    if (r != 0) abort();
  }
  ~Thread() { Join(); }
  void Join() {
    if (!joined_) pthread_join(t_, nullptr);
    joined_ = true;
  }
  pthread_t native() const { return t_; }

 private:
  static void *Run(void *p) {
    static_cast<Thread *>(p)->fn_();
    return nullptr;
  }
  std::function<void()> fn_;
  pthread_t t_;
  bool joined_ = false;
};

// A one-shot event with a deadline.
class Event {
 public:
  void Set() {
    std::lock_guard<std::mutex> l(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool Wait(int ms = kHang) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::milliseconds(ms), [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

// A thread that joins the registry and serves its mailbox (its "event loop") until Stop().
class Server {
 public:
  // serve_ms: how long it serves at most (< 0: until Stop(); a hang is then the watchdog's to report).
  explicit Server(size_t stack = 0, int serve_ms = kHang)
      : th_(
            [this, serve_ms] {
              wt_thread id;
              if (wt_thread_join(&id) != 0) abort();
              id_.store(id.bits);
              self_ = pthread_self();
              ready_.Set();
              int r = wt_thread_serve([](void *p) { return static_cast<Server *>(p)->stop_.load() ? 1 : 0; },
                                      this, serve_ms);
              serve_rc_ = r;
            },
            stack) {
    if (!ready_.Wait()) abort();
  }
  ~Server() { Stop(); }
  wt_thread id() const { return wt_thread{id_.load()}; }
  pthread_t thread() const { return self_; }
  int Stop() {
    if (!stopped_) {
      stopped_ = true;
      EXPECT_EQ(wt_post(id(), [](wt_call *, void *p) { static_cast<Server *>(p)->stop_ = true; return 0; }, nullptr,
                        this),
                0);
      th_.Join();
    }
    return serve_rc_;
  }

 private:
  std::atomic<uint64_t> id_{0};
  std::atomic<bool> stop_{false};
  pthread_t self_{};
  Event ready_;
  bool stopped_ = false;
  int serve_rc_ = -999;
  Thread th_;  // last: starts after the fields above exist
};

// Serves the calling thread's mailbox until pred() or the hang deadline.
inline bool ServeUntil(const std::function<bool()> &pred) {
  auto fn = [](void *p) { return (*static_cast<const std::function<bool()> *>(p))() ? 1 : 0; };
  return wt_thread_serve(fn, const_cast<std::function<bool()> *>(&pred), kHang) == 0;
}

// Waits (bounded, polling every ms) for a condition another thread makes true without calling this
// one. false when `ms` passed first (the bound only turns a hang into a failure).
inline bool WaitFor(const std::function<bool()> &pred, int ms = kHang) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Runs fn() on thread `t` (a sync call from its mailbox) and waits for it, serving meanwhile. Returns
// the call's status.
inline int RunOn(wt_thread t, const std::function<void()> &fn) {
  return wt_call_sync(t, [](wt_call *, void *p) { (*static_cast<const std::function<void()> *>(p))(); return 0; },
                      const_cast<std::function<void()> *>(&fn), kHang, nullptr);
}

#ifdef __EMSCRIPTEN__
// A worker that idles in its JS event loop (Promises settle there, transferred values arrive there)
// until Exit() (pthread_exit from its mailbox; then joined). on_start (may be NULL) runs on it first.
struct LoopThread {
  Event joined;
  std::atomic<uint64_t> id{0};
  pthread_t th{};
  bool exited = false;
  void (*on_start)();
  explicit LoopThread(void (*start)() = nullptr) : on_start(start) {
    if (pthread_create(&th, nullptr,
                       [](void *p) -> void * {
                         LoopThread *l = static_cast<LoopThread *>(p);
                         wt_thread me;
                         if (wt_thread_join(&me) != 0) abort();
                         if (l->on_start) l->on_start();
                         l->id = me.bits;
                         l->joined.Set();
                         emscripten_exit_with_live_runtime();
                         return nullptr;
                       },
                       this) != 0)
      abort();
    if (!joined.Wait()) abort();
  }
  ~LoopThread() { Exit(); }
  wt_thread tid() const { return wt_thread{id.load()}; }
  void Exit() {
    if (exited) return;
    exited = true;
    EXPECT_EQ(wt_post(tid(), [](wt_call *, void *) -> int { pthread_exit(nullptr); }, nullptr, nullptr), 0);
    pthread_join(th, nullptr);
  }
};
#endif

}  // namespace wtt

#endif
