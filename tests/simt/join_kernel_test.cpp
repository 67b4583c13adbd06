// kernels/cuda/join.cu in emulation against the engine's CPU cat and pad: cat along every dim,
// padding and cropping of trailing dims with a fill value.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/ops.h"
#include "engine/tensor.h"
#include "kernels/cuda/join.h"
#include "tests/simt/device_buffer.h"
#include "tests/simt/kernel_check.h"

namespace {

using simt_test::DeviceBuffer;

std::int64_t numel(const engine::Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t s : shape) n *= s;
  return n;
}

void check_cat(const std::vector<engine::Shape>& shapes, std::int64_t dim, std::uint32_t seed) {
  std::vector<engine::Tensor> inputs;
  std::vector<std::vector<float>> values;
  for (const auto& shape : shapes) {
    values.push_back(simt_test::random_floats(static_cast<std::size_t>(numel(shape)), seed++));
    inputs.push_back(engine::from_vector(values.back(), shape));
  }
  const engine::Tensor want = engine::cat(inputs, dim);
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t d = 0; d < dim; ++d) outer *= want.size(d);
  for (std::int64_t d = dim + 1; d < want.dim(); ++d) inner *= want.size(d);
  DeviceBuffer<float> out(static_cast<std::size_t>(want.numel()));
  out.poison();
  std::int64_t offset = 0;
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    const std::int64_t n = shapes[k][static_cast<std::size_t>(dim)];
    DeviceBuffer<float> in(values[k]);
    kernels::cuda::cat_slice_f32(in.get(), outer, n, inner, out.get(), want.size(dim), offset,
                                 nullptr);
    offset += n;
  }
  simt_test::expect_all_near(
      out.download(), want.to_vector<float>(), 0.0,
      "cat along dim " + std::to_string(dim) + " to " + engine::shape_str(want.shape()));
}

void check_pad(const engine::Shape& shape,
               const std::vector<std::int64_t>& pads,
               std::uint32_t seed) {
  const std::vector<float> x =
      simt_test::random_floats(static_cast<std::size_t>(numel(shape)), seed);
  const engine::Tensor want = engine::pad(engine::from_vector(x, shape), pads, -3.5);
  kernels::cuda::PadShape s;
  s.rank = static_cast<int>(shape.size());
  for (int d = 0; d < s.rank; ++d) {
    s.in_sizes[d] = shape[static_cast<std::size_t>(d)];
    s.out_sizes[d] = want.size(d);
  }
  for (std::size_t i = 0; i < pads.size() / 2; ++i)
    s.before[s.rank - 1 - static_cast<int>(i)] = pads[2 * i];
  DeviceBuffer<float> in(x), out(static_cast<std::size_t>(want.numel()));
  out.poison();
  kernels::cuda::constant_pad_f32(in.get(), s, -3.5f, out.get(), nullptr);
  simt_test::expect_all_near(
      out.download(), want.to_vector<float>(), 0.0,
      "pad " + engine::shape_str(shape) + " to " + engine::shape_str(want.shape()));
}

TEST(CudaJoinKernel, CatAlongEveryDim) {
  check_cat({{2, 3, 4}, {2, 5, 4}, {2, 1, 4}}, 1, 1);
  check_cat({{3, 7}, {1, 7}}, 0, 10);
  check_cat({{2, 3, 4}, {2, 3, 9}}, 2, 20);
  check_cat({{2, 0, 4}, {2, 33, 4}}, 1, 30);  // an empty input, several blocks
}

TEST(CudaJoinKernel, PadAndCrop) {
  check_pad({2, 3, 5, 4}, {1, 2, 3, 0}, 1);  // spatial padding
  check_pad({3, 7}, {0, 1}, 2);              // timestep embedding's odd column
  check_pad({2, 6, 5}, {-1, 2, -2, -1}, 3);  // crop and pad at once
  check_pad({4, 33, 10}, {5, 5, 0, 0, 1, 1}, 4);
}

}  // namespace
