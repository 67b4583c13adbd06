// The Philox generator: Random123 known-answer vectors, determinism for a seed, independence
// from the thread count, stream offsets, and the moments of each distribution.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>

#include "engine/philox.h"
#include "test_util.h"

using namespace engine;

TEST(Random, PhiloxKnownAnswers) {
  // Known-answer vectors of Philox4x32-10 published with Random123 (kat_vectors).
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (PhiloxBlock{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10({~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}),
            (PhiloxBlock{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(
      philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
      (PhiloxBlock{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Random, SameSeedSameNumbersAndOffsetsAdvance) {
  Generator a(42), b(42);
  EXPECT_EQ(rand({100}, a).to_vector<float>(), rand({100}, b).to_vector<float>());
  EXPECT_EQ(a.offset(), 25u);  // 4 floats per Philox block
  Generator fresh(42);
  EXPECT_NE(rand({100}, a).to_vector<float>(), rand({100}, fresh).to_vector<float>());
  Generator c(42);
  c.set_offset(25);
  Generator d(42);
  rand({100}, d);
  EXPECT_EQ(randn({10}, c).to_vector<float>(), randn({10}, d).to_vector<float>());
}

TEST(Random, IndependentOfThreadCount) {
  Generator a(7), b(7);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = randn({100000}, a).to_vector<float>();
  omp_set_num_threads(std::max(threads, 2));
  const auto many = randn({100000}, b).to_vector<float>();
  omp_set_num_threads(threads);
  EXPECT_EQ(one, many);
}

TEST(Random, DistributionMoments) {
  Generator gen(1);
  const Tensor u = rand({200000}, gen, {.dtype = DType::f64});
  EXPECT_NEAR(mean(u).item(), 0.5, 0.005);
  EXPECT_NEAR(var(u).item(), 1.0 / 12, 0.002);
  EXPECT_GE(amin(u).item(), 0.0);
  EXPECT_LT(amax(u).item(), 1.0);
  const Tensor n = randn({200000}, gen);
  EXPECT_NEAR(mean(n).item(), 0.0, 0.01);
  EXPECT_NEAR(var(n).item(), 1.0, 0.01);
  const Tensor r = randint(-3, 4, {70000}, gen);
  EXPECT_EQ(amin(r).item(), -3);
  EXPECT_EQ(amax(r).item(), 3);
  EXPECT_NEAR(mean(r.to(DType::f64)).item(), 0.0, 0.03);
  const Tensor bern = bernoulli({100000}, 0.3, gen);
  EXPECT_NEAR(mean(bern).item(), 0.3, 0.01);
}

TEST(Random, RandpermIsAPermutation) {
  Generator gen(5);
  auto p = randperm(1000, gen).to_vector<std::int64_t>();
  EXPECT_FALSE(std::is_sorted(p.begin(), p.end()));
  std::sort(p.begin(), p.end());
  for (std::int64_t i = 0; i < 1000; ++i) EXPECT_EQ(p[i], i);
  EXPECT_EQ(randperm(0, gen).numel(), 0);
  EXPECT_THROW(randint(3, 3, {1}, gen), Error);
}
