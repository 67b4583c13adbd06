// Test helpers for kernels: DeviceBuffer<T>, an RAII cudaMalloc'd array with upload/download and
// poisoning (works against the emulated and the real runtime), and random input vectors.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/runtime.cuh"

namespace simt_test {

template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t count) : count_(count) {
    CUDA_CHECK(cudaMalloc(&data_, (count == 0 ? 1 : count) * sizeof(T)));
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() { cudaFree(data_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() const { return data_; }
  std::size_t size() const { return count_; }
  void upload(const std::vector<T>& host) {
    CUDA_CHECK(cudaMemcpy(data_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> download() const {
    std::vector<T> host(count_);
    CUDA_CHECK(cudaMemcpy(host.data(), data_, count_ * sizeof(T), cudaMemcpyDeviceToHost));
    return host;
  }
  // Fills every byte (0xff makes floats NaN) so that elements a kernel fails to write show up.
  void poison(int byte = 0xff) { CUDA_CHECK(cudaMemset(data_, byte, count_ * sizeof(T))); }

 private:
  T* data_ = nullptr;
  std::size_t count_;
};

// Uniform floats in [low, high), never all zero.
inline std::vector<float> random_floats(std::size_t count, std::uint32_t seed, float low = -1.0f, float high = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(count);
  for (float& v : values) v = dist(gen);
  return values;
}

}  // namespace simt_test
