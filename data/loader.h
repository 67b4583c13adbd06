// Background loader: a pool of worker threads decodes and transforms whole batches ahead of the
// consumer into a bounded prefetch window; batches come out in a deterministic order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "data/dataset.h"
#include "data/host_batch.h"

namespace data {

struct LoaderConfig {
  int batch_size = 2;
  int num_workers = 1;       // 2-core machines: 1 leaves a core to compute; use 2 for pure IO
  int prefetch_batches = 2;  // at most this many batches decoded ahead of the consumer
  bool shuffle = true;
  bool drop_last = false;
  std::uint64_t seed = 0;
  TransformConfig transform = TransformConfig::test();
};

// Image order of one epoch: a Fisher-Yates shuffle driven by Rng(mix_seed(seed, epoch)), or
// 0..n-1 when !shuffle. Identical on every platform (no std::shuffle, whose output is unspecified).
std::vector<std::size_t> epoch_order(std::size_t n,
                                     std::uint64_t seed,
                                     std::uint64_t epoch,
                                     bool shuffle);

struct LoaderStats {
  std::size_t images = 0;  // delivered since start_epoch
  double seconds = 0;      // wall time since start_epoch
  double images_per_second = 0;
  double consumer_wait_seconds = 0;  // time next() blocked: > 0 means compute waited on data
  double worker_busy_seconds = 0;    // summed over workers
};

class Loader {
 public:
  // Keeps a reference to `dataset`: it must outlive the loader.
  Loader(const Dataset& dataset, LoaderConfig config);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Starts (or restarts) an epoch; batches of a previous epoch still in flight are discarded.
  void start_epoch(std::uint64_t epoch);
  // The next batch of the epoch, or nullopt at its end. A worker's exception (e.g. a DataError
  // for a corrupt image) is rethrown here, for the batch it happened in.
  std::optional<HostBatch> next();
  std::size_t num_batches() const { return num_batches_; }
  // Hands a consumed batch's image buffer back for reuse (optional, but it keeps the loader from
  // touching fresh memory for every batch, which is several times slower on some machines).
  void recycle(HostBatch&& batch);
  LoaderStats stats() const;

 private:
  struct Slot {
    std::optional<HostBatch> batch;
    std::exception_ptr error;
  };
  void worker_loop();
  std::vector<std::size_t> batch_indices(std::size_t batch) const;  // needs mutex_ held

  const Dataset& dataset_;
  LoaderConfig config_;
  std::vector<std::thread> workers_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;  // workers wait for a job
  std::condition_variable done_cv_;  // consumer waits for a result
  bool stop_ = false;
  std::uint64_t generation_ = 0;  // bumped by start_epoch; stale results are dropped
  std::uint64_t epoch_ = 0;
  std::vector<std::size_t> order_;
  std::size_t num_batches_ = 0;
  std::size_t next_job_ = 0;  // next batch a worker will take
  std::size_t next_out_ = 0;  // next batch next() returns
  std::map<std::size_t, Slot> ready_;
  std::vector<std::vector<float>> spare_buffers_;  // recycled HostBatch::images storage
  bool started_ = false;

  // stats (under mutex_)
  std::size_t images_out_ = 0;
  double wait_seconds_ = 0;
  double busy_seconds_ = 0;
  std::chrono::steady_clock::time_point epoch_start_;
};

}  // namespace data
