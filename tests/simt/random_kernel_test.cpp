// kernels/cuda/random.cu and philox.cuh in emulation against the CPU generator: the Philox blocks
// of engine/philox.h, kernels::cpu::uniform / normal / randint, and engine::dropout's mask.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "engine/functional.h"
#include "engine/philox.h"
#include "engine/random.h"
#include "engine/tensor.h"
#include "kernels/cpu/random.h"
#include "kernels/cuda/philox.cuh"
#include "kernels/cuda/random.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using simt_test::DeviceBuffer;

TEST(CudaRandomKernel, PhiloxBlocksAreTheEnginesBlocks) {
  for (std::uint64_t seed : {0ull, 1ull, 0x123456789abcdefull})
    for (std::uint64_t block :
         {0ull, 1ull, 7ull, 0xffffffffull, 0x100000000ull, 0xfedcba9876543210ull}) {
      const engine::PhiloxBlock want = engine::philox_block(seed, block);
      const kernels::cuda::PhiloxWords got = kernels::cuda::philox_block(seed, block);
      for (int i = 0; i < 4; ++i)
        EXPECT_EQ(got.w[i], want[static_cast<std::size_t>(i)]) << seed << " " << block;
    }
}

TEST(CudaRandomKernel, UniformAndNormalStreamsMatchTheCpu) {
  for (const auto& [n, seed, offset] :
       {std::array<std::uint64_t, 3>{1, 3, 0}, {37, 42, 5}, {1001, 7, 123456}}) {
    const auto count = static_cast<std::int64_t>(n);
    const engine::Tensor u = engine::empty({count}), z = engine::empty({count});
    kernels::cpu::uniform(seed, offset, -2.0, 3.0, u);
    kernels::cpu::normal(seed, offset, 0.5, 2.0, z);
    DeviceBuffer<float> du(static_cast<std::size_t>(n)), dz(static_cast<std::size_t>(n));
    du.poison();
    dz.poison();
    kernels::cuda::uniform_f32(seed, offset, -2.0, 3.0, du.get(), count, nullptr);
    kernels::cuda::normal_f32(seed, offset, 0.5, 2.0, dz.get(), count, nullptr);
    // The same words; a GPU may fuse low + span * u into one fma (1 ulp), and its double log/cos
    // differ from the host's by an ulp of a double, far below float resolution.
    const std::vector<float> want_u = u.to_vector<float>(), want_z = z.to_vector<float>();
    simt_test::expect_all_near(du.download(), want_u, 1e-6, "uniform");
    simt_test::expect_all_near(
        dz.download(), want_z, [&](std::size_t i) { return 1e-6 * (1.0 + std::abs(want_z[i])); },
        "normal");
  }
}

TEST(CudaRandomKernel, RandintStreamMatchesTheCpu) {
  for (const auto& [low, high] : {std::array<std::int64_t, 2>{0, 2},
                                  {-5, 1000},
                                  {std::int64_t{-1} << 62, std::int64_t{1} << 62}}) {
    const std::int64_t n = 1001;
    const engine::Tensor want = engine::empty({n}, {.dtype = engine::DType::i64});
    kernels::cpu::randint(9, 321, low, high, want);
    DeviceBuffer<std::int64_t> out(static_cast<std::size_t>(n));
    out.poison();
    kernels::cuda::randint_i64(9, 321, low, high, out.get(), n, nullptr);
    EXPECT_EQ(out.download(), want.to_vector<std::int64_t>()) << "[" << low << ", " << high << ")";
  }
  EXPECT_THROW(kernels::cuda::randint_i64(9, 0, 3, 3, nullptr, 1, nullptr), std::invalid_argument);
}

TEST(CudaRandomKernel, DropoutDrawsTheCpuMask) {
  for (double p : {0.1, 0.5, 0.9}) {
    const std::int64_t n = 999;
    const std::vector<float> x = simt_test::random_floats(static_cast<std::size_t>(n), 5);
    engine::Generator gen(77);
    gen.reserve(3);  // a generator that has been used before
    const std::uint64_t offset = gen.offset();
    const std::vector<float> want =
        engine::dropout(engine::from_vector(x), p, true, gen).to_vector<float>();
    DeviceBuffer<float> dx(x), out(x.size()), mask(x.size());
    out.poison();
    mask.poison();
    kernels::cuda::dropout_f32(dx.get(), n, p, 77, offset, out.get(), mask.get(), nullptr);
    simt_test::expect_all_near(out.download(), want, 0.0, "dropout p " + std::to_string(p));
    const std::vector<float> m = mask.download();
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    std::int64_t kept = 0;
    for (std::size_t i = 0; i < m.size(); ++i) {
      ASSERT_TRUE(m[i] == 0.0f || m[i] == scale) << "mask element " << i << " is " << m[i];
      ASSERT_EQ(m[i] * x[i], want[i]) << "mask element " << i << " disagrees with the output";
      kept += m[i] != 0.0f;
    }
    // 999 Bernoulli(1 - p) draws: within 5 standard deviations of the mean.
    const double mean = static_cast<double>(n) * (1 - p),
                 sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
    EXPECT_NEAR(static_cast<double>(kept), mean, 5 * sd) << "p " << p;
  }
}

TEST(CudaRandomKernel, DropoutRefusesProbabilitiesOutsideZeroToOne) {
  for (double p : {-0.1, 1.0, 1.5})
    EXPECT_THROW(kernels::cuda::dropout_f32(nullptr, 10, p, 1, 0, nullptr, nullptr, nullptr),
                 std::invalid_argument)
        << p;
}

}  // namespace
