// Philox4x32-10 (Salmon et al., SC'11): a counter-based generator, a pure function of
// (counter, key), so every element of a random tensor can be computed independently on any device.
#pragma once

#include <array>
#include <cstdint>

namespace engine {

using PhiloxBlock = std::array<std::uint32_t, 4>;

// Ten rounds of the Philox 4x32 bijection of `counter` under `key`. Also compiles for CUDA.
inline PhiloxBlock philox4x32_10(PhiloxBlock counter, std::array<std::uint32_t, 2> key) {
  constexpr std::uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr std::uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += kWeyl0;
      key[1] += kWeyl1;
    }
    const std::uint64_t p0 = static_cast<std::uint64_t>(kMul0) * counter[0];
    const std::uint64_t p1 = static_cast<std::uint64_t>(kMul1) * counter[2];
    counter = {
        static_cast<std::uint32_t>(p1 >> 32) ^ counter[1] ^ key[0], static_cast<std::uint32_t>(p1),
        static_cast<std::uint32_t>(p0 >> 32) ^ counter[3] ^ key[1], static_cast<std::uint32_t>(p0)};
  }
  return counter;
}

// The block used by element streams: counter = (64-bit block index, 0, 0), key = 64-bit seed.
inline PhiloxBlock philox_block(std::uint64_t seed, std::uint64_t block) {
  return philox4x32_10(
      {static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32), 0u, 0u},
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
}

// Host-side sequence of uniform numbers from one Philox stream. Stream `stream` of `seed` uses
// counters (i, stream, tag): independent of every other stream and of the tensor streams above,
// so a data sample drawn from stream k is reproducible on its own (exact resume, any order).
class PhiloxStream {
 public:
  PhiloxStream(std::uint64_t seed, std::uint64_t stream) : seed_(seed), stream_(stream) {}
  // [0, 1) with 53 random bits.
  double uniform() {
    if (used_ >= 4) {
      block_ = philox4x32_10(
          {static_cast<std::uint32_t>(next_), static_cast<std::uint32_t>(stream_),
           static_cast<std::uint32_t>(stream_ >> 32), kTag},
          {static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32)});
      ++next_;
      used_ = 0;
    }
    const std::uint64_t bits =
        (static_cast<std::uint64_t>(block_[used_]) << 32) | block_[used_ + 1];
    used_ += 2;
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool bernoulli(double p) { return uniform() < p; }

 private:
  static constexpr std::uint32_t kTag = 0x5eed5eedu;  // keeps these counters off the tensor ones
  std::uint64_t seed_, stream_;
  std::uint32_t next_ = 0;
  PhiloxBlock block_{};
  int used_ = 4;
};

}  // namespace engine
