// Random tensors from a seeded counter-based generator (Philox4x32-10). Element i of a draw
// depends only on (seed, offset, i), so the CUDA backend reproduces the CPU streams exactly.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace engine {

// Holds a seed and an offset (in Philox blocks); each draw reserves the blocks it uses.
class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) : seed_(seed) {}
  std::uint64_t seed() const { return seed_; }
  std::uint64_t offset() const { return offset_; }
  void set_offset(std::uint64_t offset) { offset_ = offset; }  // restores a saved state
  void manual_seed(std::uint64_t seed) {
    seed_ = seed;
    offset_ = 0;
  }
  // Returns the first of `blocks` consecutive counter blocks and advances past them.
  std::uint64_t reserve(std::uint64_t blocks) {
    const std::uint64_t first = offset_;
    offset_ += blocks;
    return first;
  }

 private:
  std::uint64_t seed_ = 0;
  std::uint64_t offset_ = 0;
};

// The process-wide generator used when none is given (as torch.manual_seed).
Generator& default_generator();
void manual_seed(std::uint64_t seed);

// Element streams (documented for the CUDA kernels that must reproduce them):
//   uniform f32: element i uses block offset + i/4, word i%4, (w >> 8) * 2^-24  in [0, 1)
//   uniform f64, normal, randint: element i uses block offset + i/2, words 2(i%2), 2(i%2)+1
//   normal: Box-Muller cos branch, u1 = (w0 + 1) * 2^-32 in (0, 1], u2 = w1 * 2^-32
//   randint: low + floor(x * (high - low) / 2^64) for the 64-bit x = w0 | w1 << 32
Tensor rand(const Shape& shape, Generator& gen, TensorOptions options = {});   // U[0, 1)
Tensor randn(const Shape& shape, Generator& gen, TensorOptions options = {});  // N(0, 1)
Tensor randint(std::int64_t low,
               std::int64_t high,
               const Shape& shape,
               Generator& gen,
               TensorOptions options = {.dtype = DType::i64});  // [low, high)
Tensor randperm(std::int64_t n, Generator& gen);                // i64 permutation of 0..n-1
Tensor bernoulli(const Tensor& p, Generator& gen);              // 1 with probability p (p's dtype)
Tensor bernoulli(const Shape& shape, double p, Generator& gen, TensorOptions options = {});
Tensor& uniform_(Tensor& t, double low, double high, Generator& gen);
Tensor& normal_(Tensor& t, double mean, double std, Generator& gen);

// Overloads with the default generator.
Tensor rand(const Shape& shape, TensorOptions options = {});
Tensor randn(const Shape& shape, TensorOptions options = {});

}  // namespace engine
