// Grids in the emulator: checks the launch configuration like CUDA does, then spreads the blocks
// over a persistent pool of worker threads (the launching thread works too) and waits for them.
#include "kernels/simt/grid.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kernels/simt/block.h"
#include "kernels/simt/error.h"
#include "kernels/simt/runtime.h"

namespace kernels::simt {
namespace {

unsigned env_unsigned(const char* name, unsigned fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const unsigned long value = std::strtoul(text, &end, 10);
  if (*end != '\0' || value == 0 || value > 4096)
    detail::fail(name, "=", text, " is not a valid count (expected an integer from 1 to 4096)");
  return static_cast<unsigned>(value);
}

unsigned default_workers() {
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  return env_unsigned("DREAMBOX_SIMT_WORKERS", std::clamp(hardware, 2u, 8u));
}

struct GridJob {
  const LaunchConfig* config;
  const std::function<void()>* body;
  std::uint64_t blocks;
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr error;

  // Takes blocks until none is left or one failed; the first failure is kept.
  void work() {
    while (!failed.load(std::memory_order_relaxed)) {
      const std::uint64_t block = next.fetch_add(1, std::memory_order_relaxed);
      if (block >= blocks) return;
      try {
        detail::run_block(*config, *body, block);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  }
};

// Helper threads parked on a condition variable between grids.
class WorkerPool {
 public:
  explicit WorkerPool(unsigned workers) {
    for (unsigned i = 1; i < workers; ++i) helpers_.emplace_back([this] { helper_loop(); });
  }
  ~WorkerPool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : helpers_) t.join();
  }
  unsigned workers() const { return static_cast<unsigned>(helpers_.size()) + 1; }

  void run(GridJob& job) {
    const bool share = job.blocks > 1 && !helpers_.empty();
    if (share) {
      std::lock_guard lock(mutex_);
      job_ = &job;
      busy_ = helpers_.size();
      ++generation_;
    }
    if (share) wake_.notify_all();
    job.work();
    if (share) {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [this] { return busy_ == 0; });
      job_ = nullptr;
    }
  }

 private:
  void helper_loop() {
    std::uint64_t seen = 0;
    for (;;) {
      GridJob* job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
      }
      job->work();
      std::lock_guard lock(mutex_);
      if (--busy_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> helpers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  GridJob* job_ = nullptr;
  std::size_t busy_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
};

std::mutex& launch_mutex() {  // one grid at a time, whichever host thread launches it
  static std::mutex mutex;
  return mutex;
}

std::unique_ptr<WorkerPool>& pool() {
  static std::unique_ptr<WorkerPool> instance;
  return instance;
}

void check_config(const LaunchConfig& config) {
  const dim3 b = config.block, g = config.grid;
  const auto where = [&] { return " (kernel launched at " + config.site + ")"; };
  if (b.x == 0 || b.y == 0 || b.z == 0 || g.x == 0 || g.y == 0 || g.z == 0)
    detail::fail("launch with an empty grid ", g, " or block ", b, where(),
                 ": CUDA rejects it as an invalid configuration; skip the launch when there is no work");
  if (b.x > kMaxThreadsPerBlock || b.y > kMaxThreadsPerBlock || b.z > kMaxBlockDimZ)
    detail::fail("block ", b, " exceeds CUDA's per-dimension limits (1024, 1024, 64)", where());
  const std::uint64_t threads = static_cast<std::uint64_t>(b.x) * b.y * b.z;
  if (threads > kMaxThreadsPerBlock)
    detail::fail("block ", b, " has ", threads, " threads, more than CUDA's limit of ", kMaxThreadsPerBlock,
                 " threads per block", where());
  if (g.x > 2147483647u || g.y > 65535 || g.z > 65535)
    detail::fail("grid ", g, " exceeds CUDA's limits (2^31-1, 65535, 65535)", where());
  const std::size_t limit = detail::max_dynamic_shared(config.kernel);
  if (config.dynamic_shared_bytes > limit)
    detail::fail("launch asks for ", config.dynamic_shared_bytes, " bytes of dynamic shared memory, over the ",
                 limit, "-byte limit", where(), "; beyond 48 KiB a kernel must opt in with "
                 "cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes) (at most ",
                 kMaxOptInSharedBytes, " bytes)");
}

}  // namespace

void run_grid(const LaunchConfig& config, const std::function<void()>& body) {
  if (detail::inside_kernel())
    detail::fail("a kernel launched from device code (dynamic parallelism) is not supported (launch at ",
                 config.site, ")");
  check_config(config);
  std::lock_guard lock(launch_mutex());
  if (!pool()) pool() = std::make_unique<WorkerPool>(default_workers());
  GridJob job;
  job.config = &config;
  job.body = &body;
  job.blocks = static_cast<std::uint64_t>(config.grid.x) * config.grid.y * config.grid.z;
  pool()->run(job);
  if (job.error) std::rethrow_exception(job.error);
}

unsigned worker_count() {
  std::lock_guard lock(launch_mutex());
  if (!pool()) pool() = std::make_unique<WorkerPool>(default_workers());
  return pool()->workers();
}

void set_worker_count(unsigned workers) {
  if (workers == 0) detail::fail("set_worker_count(0): at least one worker is needed");
  std::lock_guard lock(launch_mutex());
  pool().reset();
  pool() = std::make_unique<WorkerPool>(workers);
}

std::size_t fiber_stack_bytes() {
  static const std::size_t bytes = std::size_t{env_unsigned("DREAMBOX_SIMT_STACK_KB", 64)} * 1024;
  return bytes;
}

}  // namespace kernels::simt
