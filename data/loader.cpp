// Background loader (see loader.h). One mutex guards all state; workers take batch jobs in order
// but only within the prefetch window [next_out, next_out + prefetch), so memory stays bounded.
#include "data/loader.h"

#include <stdexcept>
#include <string>

#include "data/rng.h"

namespace data {

std::vector<std::size_t> epoch_order(std::size_t n,
                                     std::uint64_t seed,
                                     std::uint64_t epoch,
                                     bool shuffle) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  if (!shuffle || n < 2) return order;
  Rng rng(mix_seed(seed, epoch, 0x5eed0fde));
  for (std::size_t i = n - 1; i > 0; --i) {
    auto j = static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(i)));
    std::swap(order[i], order[j]);
  }
  return order;
}

Loader::Loader(const Dataset& dataset, LoaderConfig config)
    : dataset_(dataset), config_(std::move(config)) {
  if (config_.batch_size <= 0)
    throw std::invalid_argument("LoaderConfig.batch_size must be positive");
  if (config_.num_workers <= 0)
    throw std::invalid_argument("LoaderConfig.num_workers must be positive");
  if (config_.prefetch_batches <= 0)
    throw std::invalid_argument("LoaderConfig.prefetch_batches must be positive");
  if (config_.transform.short_sides.empty())
    throw std::invalid_argument("LoaderConfig.transform.short_sides is empty");
  for (int i = 0; i < config_.num_workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void Loader::start_epoch(std::uint64_t epoch) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    epoch_ = epoch;
    order_ = epoch_order(dataset_.images.size(), config_.seed, epoch, config_.shuffle);
    std::size_t n = order_.size(), b = static_cast<std::size_t>(config_.batch_size);
    num_batches_ = config_.drop_last ? n / b : (n + b - 1) / b;
    next_job_ = next_out_ = 0;
    ready_.clear();
    started_ = true;
    images_out_ = 0;
    wait_seconds_ = busy_seconds_ = 0;
    epoch_start_ = std::chrono::steady_clock::now();
  }
  work_cv_.notify_all();
}

std::vector<std::size_t> Loader::batch_indices(std::size_t batch) const {
  std::size_t b = static_cast<std::size_t>(config_.batch_size);
  std::size_t begin = batch * b, end = std::min(order_.size(), begin + b);
  return {order_.begin() + static_cast<std::ptrdiff_t>(begin),
          order_.begin() + static_cast<std::ptrdiff_t>(end)};
}

void Loader::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_cv_.wait(lock, [this] {
      return stop_ || (started_ && next_job_ < num_batches_ &&
                       next_job_ < next_out_ + static_cast<std::size_t>(config_.prefetch_batches));
    });
    if (stop_) return;
    std::size_t job = next_job_++;
    std::uint64_t generation = generation_, epoch = epoch_;
    std::vector<std::size_t> indices = batch_indices(job);
    std::vector<float> storage;
    if (!spare_buffers_.empty()) {
      storage = std::move(spare_buffers_.back());
      spare_buffers_.pop_back();
    }
    lock.unlock();

    Slot slot;
    auto t0 = std::chrono::steady_clock::now();
    try {
      slot.batch =
          make_batch(dataset_, indices, config_.transform, config_.seed, epoch, std::move(storage));
    } catch (...) {
      slot.error = std::current_exception();
    }
    double busy = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    lock.lock();
    if (generation == generation_) {
      ready_.emplace(job, std::move(slot));
      busy_seconds_ += busy;
      done_cv_.notify_all();
    }
  }
}

std::optional<HostBatch> Loader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!started_) throw std::logic_error("Loader::next() called before start_epoch()");
  if (next_out_ >= num_batches_) return std::nullopt;
  auto t0 = std::chrono::steady_clock::now();
  done_cv_.wait(lock, [this] { return ready_.count(next_out_) > 0; });
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Slot slot = std::move(ready_.at(next_out_));
  ready_.erase(next_out_);
  ++next_out_;
  if (slot.batch) images_out_ += static_cast<std::size_t>(slot.batch->size);
  lock.unlock();
  work_cv_.notify_all();  // the window moved
  if (slot.error) std::rethrow_exception(slot.error);
  return std::move(slot.batch);
}

void Loader::recycle(HostBatch&& batch) {
  if (batch.images.capacity() == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  // Enough for every batch that can be in flight; more would only hold memory.
  if (spare_buffers_.size() <
      static_cast<std::size_t>(config_.prefetch_batches + config_.num_workers))
    spare_buffers_.push_back(std::move(batch.images));
}

LoaderStats Loader::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  LoaderStats s;
  s.images = images_out_;
  s.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start_).count();
  s.images_per_second = s.seconds > 0 ? static_cast<double>(s.images) / s.seconds : 0;
  s.consumer_wait_seconds = wait_seconds_;
  s.worker_busy_seconds = busy_seconds_;
  return s;
}

}  // namespace data
