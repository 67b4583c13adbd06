// kernels/cuda sort, compact and slices in emulation against the CPU oracle (kernels/cpu/select.h):
// stable sort / top-k with ties and NaN in one tile and across merge passes, nonzero and
// repeat_index (empty and all-false too), slice put (last write wins, accumulate) and take.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/select.h"
#include "kernels/cuda/compact.h"
#include "kernels/cuda/slices.h"
#include "kernels/cuda/sort.h"
#include "tests/simt/device_buffer.h"

namespace {

using engine::DType;
using engine::Tensor;
using simt_test::DeviceBuffer;

// Values with many ties: integers in [-range, range] (as T), NaN at a few places for floats.
template <typename T>
std::vector<T> tied_values(std::size_t count, int range, std::uint32_t seed, bool with_nan) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> pick(-range, range);
  std::vector<T> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    const int v = pick(gen);
    values[i] = static_cast<T>(std::is_unsigned_v<T> ? std::abs(v) : v);  // bool bytes: 0 / 1
    if constexpr (std::is_floating_point_v<T>)
      if (with_nan && i % 97 == 13) values[i] = static_cast<T>(NAN);
  }
  return values;
}

template <typename T>
bool same_value(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(a)) return std::isnan(b);
  return a == b;
}

// Sorts `rows` rows of n (device vs kernels::cpu::sort along dim 1) and keeps k.
template <typename T>
void check_sort(std::int64_t rows,
                std::int64_t n,
                std::int64_t k,
                bool descending,
                int range,
                std::uint32_t seed) {
  const std::string what = "sort of " + std::to_string(rows) + "x" + std::to_string(n) + ", k " +
                           std::to_string(k) + (descending ? " descending" : " ascending") +
                           " dtype " + engine::dtype_name(engine::dtype_of<T>);
  const std::vector<T> x = tied_values<T>(static_cast<std::size_t>(rows * n), range, seed, true);
  const Tensor values = engine::empty({rows, k}, {.dtype = engine::dtype_of<T>});
  const Tensor indices = engine::empty({rows, k}, {.dtype = DType::i64});
  if (rows * k > 0)
    kernels::cpu::sort(engine::from_vector(x, {rows, n}), 1, descending, values, indices);

  DeviceBuffer<T> dx(x), dvalues(static_cast<std::size_t>(rows * k));
  DeviceBuffer<std::int64_t> dindices(static_cast<std::size_t>(rows * k));
  DeviceBuffer<unsigned char> workspace(
      kernels::cuda::sort_workspace_bytes(engine::dtype_of<T>, rows, n));
  dvalues.poison();
  dindices.poison();
  kernels::cuda::sort_rows(engine::dtype_of<T>, dx.get(), rows, n, descending, k, dvalues.get(),
                           dindices.get(), workspace.get(), nullptr);
  const std::vector<T> got_values = dvalues.download(), want_values = values.to_vector<T>();
  const std::vector<std::int64_t> got_indices = dindices.download(),
                                  want_indices = indices.to_vector<std::int64_t>();
  for (std::size_t i = 0; i < got_values.size(); ++i) {
    ASSERT_EQ(got_indices[i], want_indices[i]) << what << ": index at " << i;
    ASSERT_TRUE(same_value(got_values[i], want_values[i]))
        << what << ": value at " << i << " is " << got_values[i] << ", CPU " << want_values[i];
  }
}

TEST(CudaSortKernel, OneTileRowsMatchTheStableCpuSort) {
  for (bool descending : {false, true}) {
    check_sort<float>(5, 7, 7, descending, 3, 1);         // a few short rows, many ties
    check_sort<float>(3, 1, 1, descending, 3, 2);         // one element
    check_sort<float>(2, 1024, 1024, descending, 50, 3);  // exactly one full tile
    check_sort<double>(4, 100, 100, descending, 1000, 4);
    check_sort<std::int64_t>(3, 333, 333, descending, 5, 5);
    check_sort<std::int32_t>(2, 65, 65, descending, 5, 6);
  }
}

TEST(CudaSortKernel, MergePassesMatchTheStableCpuSort) {
  for (bool descending : {false, true}) {
    check_sort<float>(2, 1500, 1500, descending, 40, 10);   // two tiles, one merge
    check_sort<float>(1, 5000, 5000, descending, 200, 11);  // three merge passes, uneven runs
    check_sort<std::int64_t>(2, 2100, 2100, descending, 3, 12);
  }
}

TEST(CudaSortKernel, TopKKeepsTheCpuTieOrder) {
  check_sort<float>(4, 50, 5, true, 4, 20);     // topk in one tile
  check_sort<float>(2, 3000, 17, true, 6, 21);  // topk through the merge passes
  check_sort<float>(2, 3000, 9, false, 6, 22);  // smallest k
  check_sort<double>(3, 40, 1, true, 2, 23);
}

TEST(CudaSortKernel, NothingToSortWritesNothing) {
  check_sort<float>(0, 5, 5, false, 3, 30);
  check_sort<float>(3, 0, 0, false, 3, 31);
  check_sort<float>(3, 8, 0, true, 3, 32);  // topk k = 0
}

TEST(CudaSortKernel, RefusesOtherDtypes) {
  DeviceBuffer<std::uint8_t> x(4), values(4);
  DeviceBuffer<std::int64_t> indices(4);
  EXPECT_THROW(kernels::cuda::sort_rows(DType::u8, x.get(), 1, 4, false, 4, values.get(),
                                        indices.get(), nullptr, nullptr),
               std::invalid_argument);
}

// nonzero of x (`dtype`, host bytes in `x`) through count -> scan -> write, against the CPU.
template <typename T>
void check_nonzero(const std::vector<T>& x, const engine::Shape& shape, DType dtype) {
  const std::string what = "nonzero of " + engine::shape_str(shape);
  const Tensor want = kernels::cpu::nonzero(engine::from_vector(x, shape).to(dtype));
  std::int64_t n = 1;
  kernels::cuda::NonzeroShape s;
  s.rank = static_cast<int>(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d) {
    s.sizes[d] = shape[d];
    n *= shape[d];
  }
  const std::int64_t tiles = kernels::cuda::nonzero_tiles(n);
  DeviceBuffer<T> dx(x);
  DeviceBuffer<std::int64_t> counts(static_cast<std::size_t>(tiles)),
      offsets(static_cast<std::size_t>(tiles)), total(1);
  total.poison();
  kernels::cuda::count_nonzero_tiles(dtype, dx.get(), n, counts.get(), nullptr);
  kernels::cuda::exclusive_scan_i64(counts.get(), tiles, offsets.get(), total.get(), nullptr);
  const std::int64_t count = total.download()[0];
  ASSERT_EQ(count, want.size(0)) << what;
  DeviceBuffer<std::int64_t> out(static_cast<std::size_t>(count * s.rank));
  out.poison();
  kernels::cuda::write_nonzero(dtype, dx.get(), s, offsets.get(), out.get(), nullptr);
  EXPECT_EQ(out.download(), want.to_vector<std::int64_t>()) << what;
}

TEST(CudaCompactKernel, NonzeroMatchesTheCpuInRowMajorOrder) {
  std::vector<float> f = simt_test::random_floats(3 * 700 * 2, 40);
  for (std::size_t i = 0; i < f.size(); ++i)
    if (i % 3 != 0) f[i] = 0.0f;
  f[5] = NAN;                                 // NaN is not zero
  check_nonzero(f, {3, 700, 2}, DType::f32);  // several tiles
  std::vector<std::uint8_t> mask(1000);
  std::mt19937 gen(41);
  for (auto& m : mask) m = gen() % 5 == 0 ? 1 : 0;
  check_nonzero(mask, {10, 10, 10}, DType::b8);
  check_nonzero(std::vector<std::int64_t>{0, 4, 0, -2, 7}, {5}, DType::i64);
  check_nonzero(std::vector<float>{2.5f}, {}, DType::f32);  // a scalar: [1, 0]
}

TEST(CudaCompactKernel, NonzeroOfNothingIsEmpty) {
  check_nonzero(std::vector<std::uint8_t>(2500, 0), {50, 50}, DType::b8);  // all false: [0, 2]
  check_nonzero(std::vector<float>{}, {0, 3}, DType::f32);                 // no elements
}

void check_repeat_index(const std::vector<std::int64_t>& repeats) {
  const std::string what = "repeat_index of " + std::to_string(repeats.size()) + " repeats";
  const Tensor want = kernels::cpu::repeat_index(engine::from_vector(repeats));
  const auto m = static_cast<std::int64_t>(repeats.size());
  DeviceBuffer<std::int64_t> drepeats(repeats), offsets(repeats.size()), total(1);
  kernels::cuda::exclusive_scan_i64(drepeats.get(), m, offsets.get(), total.get(), nullptr);
  const std::int64_t count = total.download()[0];
  ASSERT_EQ(count, want.numel()) << what;
  DeviceBuffer<std::int64_t> out(static_cast<std::size_t>(count));
  out.poison();
  kernels::cuda::repeat_index(offsets.get(), m, count, out.get(), nullptr);
  EXPECT_EQ(out.download(), want.to_vector<std::int64_t>()) << what;
}

TEST(CudaCompactKernel, RepeatIndexMatchesTheCpu) {
  check_repeat_index({2, 0, 3, 1, 0});
  std::vector<std::int64_t> many(700);  // several scan chunks
  std::mt19937 gen(50);
  for (auto& r : many) r = gen() % 4;
  check_repeat_index(many);
  check_repeat_index({0, 0, 0});  // nothing repeated
  check_repeat_index({});
}

// put_slices (with and without accumulate) and take_slices of m slices of s elements into a
// buffer of `slots` slices, offsets drawn with repeats.
template <typename T>
void check_slices(
    std::int64_t slots, std::int64_t m, std::int64_t s, DType dtype, std::uint32_t seed) {
  const std::string what = std::to_string(m) + " slices of " + std::to_string(s) + " into " +
                           std::to_string(slots) + ", dtype " + engine::dtype_name(dtype);
  std::mt19937 gen(seed);
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(m));
  for (auto& o : offsets) o = static_cast<std::int64_t>(gen() % slots) * s;
  const std::vector<T> base =
                           tied_values<T>(static_cast<std::size_t>(slots * s), 1, seed + 1, false),
                       values = tied_values<T>(static_cast<std::size_t>(m * s), 1, seed + 2, false);
  const Tensor toffsets = engine::from_vector(offsets);
  const Tensor tvalues = engine::from_vector(values, {m, s}).to(dtype);
  for (bool accumulate : {false, true}) {
    const Tensor want = engine::from_vector(base).to(dtype);
    kernels::cpu::put_slices(want, toffsets, tvalues, accumulate);
    DeviceBuffer<T> out(base), dvalues(values);
    DeviceBuffer<std::int64_t> doffsets(offsets), winners(static_cast<std::size_t>(slots));
    kernels::cuda::put_slices(dtype, out.get(), slots * s, doffsets.get(), m, s, dvalues.get(),
                              accumulate, winners.get(), nullptr);
    EXPECT_EQ(out.download(), want.to(engine::dtype_of<T>).template to_vector<T>())
        << what << (accumulate ? " (accumulate)" : "");
  }
  const Tensor want = engine::empty({m, s}, {.dtype = dtype});
  kernels::cpu::take_slices(engine::from_vector(base).to(dtype), toffsets, want);
  DeviceBuffer<T> src(base), out(static_cast<std::size_t>(m * s));
  DeviceBuffer<std::int64_t> doffsets(offsets);
  out.poison();
  kernels::cuda::take_slices(dtype, src.get(), doffsets.get(), m, s, out.get(), nullptr);
  EXPECT_EQ(out.download(), want.to(engine::dtype_of<T>).template to_vector<T>())
      << "take " << what;
}

TEST(CudaSlicesKernel, PutAndTakeMatchTheCpu) {
  // Integer-valued floats: the accumulated sums are exact in any order.
  check_slices<float>(6, 40, 3, DType::f32, 60);      // repeated offsets: last write wins
  check_slices<float>(300, 2000, 1, DType::f32, 61);  // single elements, several blocks
  check_slices<std::int64_t>(5, 30, 4, DType::i64, 62);
  check_slices<double>(7, 9, 33, DType::f64, 63);
  check_slices<std::uint8_t>(8, 20, 2, DType::b8, 64);  // bool: accumulate is a logical or
  check_slices<float>(4, 0, 3, DType::f32, 65);         // nothing to put
}

TEST(CudaSlicesKernel, RefusesAccumulateForBytes) {
  DeviceBuffer<std::uint8_t> out(4), values(4);
  DeviceBuffer<std::int64_t> offsets(std::vector<std::int64_t>{0}), winners(4);
  EXPECT_THROW(kernels::cuda::put_slices(DType::u8, out.get(), 4, offsets.get(), 1, 4, values.get(),
                                         true, winners.get(), nullptr),
               std::invalid_argument);
}

}  // namespace
