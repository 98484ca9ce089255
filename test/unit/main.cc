// GoogleTest entry point for the unit suite, with a watchdog on host builds: a test that has not
// finished after WT_TEST_TIMEOUT seconds (default 120) is reported by name as a probable deadlock and
// the process aborts, so a hang fails with a message instead of waiting for an outside kill.
// Under wasm, test/run-wasm.mjs plays that role (a watchdog thread would take a Worker from the pool
// the tests measure); under WASI (no threads at all), test/wasi/run-wasi.mjs does.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#if !defined(__EMSCRIPTEN__) && !defined(__wasi__)
#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

class Watchdog : public testing::EmptyTestEventListener {
 public:
  explicit Watchdog(int seconds) : seconds_(seconds), thread_([this] { Run(); }) {}
  ~Watchdog() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void OnTestStart(const testing::TestInfo &info) override {
    std::lock_guard<std::mutex> lock(mu_);
    name_ = std::string(info.test_suite_name()) + "." + info.name();
    deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(seconds_);
    running_ = true;
    cv_.notify_all();
  }
  void OnTestEnd(const testing::TestInfo &) override {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
    cv_.notify_all();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (!running_) {
        cv_.wait(lock);
        continue;
      }
      auto deadline = deadline_;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && running_ && deadline_ == deadline) {
        std::fprintf(stderr, "\nwatchdog: test %s did not finish within %d s (deadlock?); aborting\n",
                     name_.c_str(), seconds_);
        std::fflush(stderr);
        std::abort();
      }
    }
  }
  int seconds_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, running_ = false;
  std::string name_;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;  // last: starts after the fields above are ready
};

}  // namespace
#endif

int main(int argc, char **argv) {
  testing::InitGoogleTest(&argc, argv);
#if !defined(__EMSCRIPTEN__) && !defined(__wasi__)
  const char *t = std::getenv("WT_TEST_TIMEOUT");
  int seconds = t ? std::atoi(t) : 120;
  if (seconds > 0) testing::UnitTest::GetInstance()->listeners().Append(new Watchdog(seconds));
#endif
  return RUN_ALL_TESTS();
}
