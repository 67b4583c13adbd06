// CPU Philox streams: every element computes its own counter block, so the loops are plainly
// parallel and the values do not depend on the thread count.
#include "kernels/cpu/random.h"

#include <cmath>
#include <numbers>

#include "engine/dispatch.h"
#include "engine/philox.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

namespace {
constexpr double k2Pow32 = 4294967296.0;

std::uint64_t pair_word(std::uint64_t seed, std::uint64_t offset, std::int64_t i) {
  const engine::PhiloxBlock b =
      engine::philox_block(seed, offset + static_cast<std::uint64_t>(i / 2));
  const int lane = 2 * static_cast<int>(i % 2);
  return static_cast<std::uint64_t>(b[lane]) | static_cast<std::uint64_t>(b[lane + 1]) << 32;
}
}  // namespace

void uniform(
    std::uint64_t seed, std::uint64_t offset, double low, double high, const engine::Tensor& out) {
  const std::int64_t n = out.numel();
  if (out.dtype() == engine::DType::f32) {
    float* p = out.data_ptr<float>();
    const float lo = static_cast<float>(low), span = static_cast<float>(high - low);
    parallel_for(n, 16, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const std::uint32_t w =
            engine::philox_block(seed, offset + static_cast<std::uint64_t>(i / 4))[i % 4];
        p[i] = lo + span * (static_cast<float>(w >> 8) * 0x1.0p-24f);
      }
    });
    return;
  }
  double* p = out.data_ptr<double>();
  parallel_for(n, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i)
      p[i] =
          low + (high - low) * (static_cast<double>(pair_word(seed, offset, i) >> 11) * 0x1.0p-53);
  });
}

void normal(
    std::uint64_t seed, std::uint64_t offset, double mean, double std, const engine::Tensor& out) {
  engine::dispatch_float(out.dtype(), "normal", [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data_ptr<T>();
    parallel_for(out.numel(), 32, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const std::uint64_t w = pair_word(seed, offset, i);
        const double u1 = (static_cast<double>(w & 0xffffffffu) + 1.0) / k2Pow32;
        const double u2 = static_cast<double>(w >> 32) / k2Pow32;
        p[i] = static_cast<T>(mean + std * std::sqrt(-2.0 * std::log(u1)) *
                                         std::cos(2.0 * std::numbers::pi * u2));
      }
    });
  });
}

void randint(std::uint64_t seed,
             std::uint64_t offset,
             std::int64_t low,
             std::int64_t high,
             const engine::Tensor& out) {
  const auto range = static_cast<unsigned __int128>(static_cast<std::uint64_t>(high - low));
  engine::dispatch_number(out.dtype(), "randint", [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data_ptr<T>();
    parallel_for(out.numel(), 16, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const auto scaled = static_cast<std::uint64_t>((pair_word(seed, offset, i) * range) >> 64);
        p[i] = static_cast<T>(low + static_cast<std::int64_t>(scaled));
      }
    });
  });
}

void random_u64(std::uint64_t seed, std::uint64_t offset, std::uint64_t* out, std::int64_t n) {
  parallel_for(n, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) out[i] = pair_word(seed, offset, i);
  });
}

}  // namespace kernels::cpu
