// kernels/cuda/index.cu in emulation against the CPU oracle (kernels::cpu index_select, index_add,
// gather, scatter_add): every dim, repeated indices, addressed tensors larger than the index.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/tensor.h"
#include "kernels/cpu/index.h"
#include "kernels/cuda/index.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using simt_test::DeviceBuffer;

std::vector<std::int64_t> random_indices(std::size_t count,
                                         std::int64_t bound,
                                         std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<std::int64_t> pick(0, bound - 1);
  std::vector<std::int64_t> values(count);
  for (auto& v : values) v = pick(gen);
  return values;
}

std::int64_t numel(const engine::Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t s : shape) n *= s;
  return n;
}

// index_select and index_add along `dim` of a tensor of `shape`, with m indices (repeats likely).
void check_select_add(const engine::Shape& shape,
                      std::int64_t dim,
                      std::int64_t m,
                      std::uint32_t seed) {
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < dim; ++d) outer *= shape[static_cast<std::size_t>(d)];
  for (std::size_t d = static_cast<std::size_t>(dim) + 1; d < shape.size(); ++d) inner *= shape[d];
  const std::int64_t n = shape[static_cast<std::size_t>(dim)];
  engine::Shape selected = shape;
  selected[static_cast<std::size_t>(dim)] = m;
  const std::string what = "dim " + std::to_string(dim) + " of " + engine::shape_str(shape) + ", " +
                           std::to_string(m) + " indices";

  const std::vector<float> x =
      simt_test::random_floats(static_cast<std::size_t>(numel(shape)), seed);
  const std::vector<float> src =
      simt_test::random_floats(static_cast<std::size_t>(numel(selected)), seed + 1);
  const std::vector<std::int64_t> index = random_indices(static_cast<std::size_t>(m), n, seed + 2);
  const engine::Tensor tindex = engine::from_vector(index);
  const engine::Tensor out = engine::empty(selected), added = engine::from_vector(x, shape);
  kernels::cpu::index_select(engine::from_vector(x, shape), dim, tindex, out);
  kernels::cpu::index_add(added, dim, tindex, engine::from_vector(src, selected));

  DeviceBuffer<float> dx(x), dsrc(src), dout(src.size()), dadded(x);
  DeviceBuffer<std::int64_t> dindex(index);
  dout.poison();
  kernels::cuda::index_select_f32(dx.get(), outer, n, inner, dindex.get(), m, dout.get(), nullptr);
  kernels::cuda::index_add_f32(dadded.get(), outer, n, inner, dindex.get(), m, dsrc.get(), nullptr);
  simt_test::expect_all_near(dout.download(), out.to_vector<float>(), 0.0, "index_select " + what);
  // At most m values < 1 meet on one element, added in another order.
  simt_test::expect_all_near(dadded.download(), added.to_vector<float>(),
                             1e-6 * static_cast<double>(m + 1), "index_add " + what);
}

// gather and scatter_add along `dim`, index shaped `index_shape`, addressing a tensor of `shape`.
void check_gather_scatter(const engine::Shape& shape,
                          const engine::Shape& index_shape,
                          std::int64_t dim,
                          std::uint32_t seed) {
  const std::string what = "dim " + std::to_string(dim) + " of " + engine::shape_str(shape) +
                           " by index " + engine::shape_str(index_shape);
  kernels::cuda::IndexShape s;
  s.rank = static_cast<int>(shape.size());
  s.dim = static_cast<int>(dim);
  for (std::size_t d = 0; d < shape.size(); ++d) {
    s.index_sizes[d] = index_shape[d];
    s.other_sizes[d] = shape[d];
  }
  const std::vector<float> x =
      simt_test::random_floats(static_cast<std::size_t>(numel(shape)), seed);
  const std::vector<float> src =
      simt_test::random_floats(static_cast<std::size_t>(numel(index_shape)), seed + 1);
  const std::vector<std::int64_t> index =
      random_indices(src.size(), shape[static_cast<std::size_t>(dim)], seed + 2);
  const engine::Tensor tindex = engine::from_vector(index, index_shape);
  const engine::Tensor out = engine::empty(index_shape), scattered = engine::from_vector(x, shape);
  kernels::cpu::gather(engine::from_vector(x, shape), dim, tindex, out);
  kernels::cpu::scatter_add(scattered, dim, tindex, engine::from_vector(src, index_shape));

  DeviceBuffer<float> dx(x), dsrc(src), dout(src.size()), dscattered(x);
  DeviceBuffer<std::int64_t> dindex(index);
  dout.poison();
  kernels::cuda::gather_f32(dx.get(), s, dindex.get(), dout.get(), nullptr);
  kernels::cuda::scatter_add_f32(dscattered.get(), s, dindex.get(), dsrc.get(), nullptr);
  simt_test::expect_all_near(dout.download(), out.to_vector<float>(), 0.0, "gather " + what);
  simt_test::expect_all_near(
      dscattered.download(), scattered.to_vector<float>(),
      1e-6 * static_cast<double>(index_shape[static_cast<std::size_t>(dim)] + 1),
      "scatter_add " + what);
}

TEST(CudaIndexKernel, IndexSelectAndIndexAdd) {
  check_select_add({7, 5}, 0, 11, 1);      // rows (embedding lookup and its backward)
  check_select_add({3, 9, 4}, 1, 6, 2);    // middle dim
  check_select_add({4, 5, 33}, 2, 40, 3);  // last dim, more indices than entries
  check_select_add({50, 70}, 0, 300, 4);   // several blocks
  check_select_add({5, 3}, 0, 0, 5);       // no indices
}

TEST(CudaIndexKernel, GatherAndScatterAdd) {
  check_gather_scatter({4, 6}, {4, 3}, 1, 10);  // cross-entropy's pick of the target logit
  check_gather_scatter({5, 3, 4}, {9, 2, 3}, 0,
                       11);  // index longer than x along dim, smaller elsewhere
  check_gather_scatter({3, 5, 7}, {2, 5, 12}, 2, 12);
  check_gather_scatter({2, 3, 4, 5}, {2, 3, 6, 5}, 2, 13);
  check_gather_scatter({40, 30}, {40, 30}, 1, 14);  // several blocks
}

}  // namespace
