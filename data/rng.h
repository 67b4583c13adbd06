// Deterministic random numbers for the data layer (loader order, augmentation, shapes generator).
// std::mt19937_64's output is fixed by the standard; the distributions below are ours, not std's.
#pragma once

#include <cstdint>
#include <random>

namespace data {

// splitmix64 finaliser: mixes words into a well-spread seed (seed, epoch, index -> stream seed).
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
constexpr std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) {
  return mix64(mix64(mix64(a) ^ b) ^ c);
}

// The same seed gives the same numbers with every compiler and standard library, because
// std::uniform_*_distribution (implementation-defined) is never used.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t next() { return engine_(); }
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }    // [lo, hi)
  // Integer in [lo, hi] (inclusive); the modulo bias is below 2^-40 for the ranges used here.
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) {
    auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    return lo + static_cast<std::int64_t>(engine_() % span);
  }
  bool bernoulli(double p) { return uniform() < p; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace data
