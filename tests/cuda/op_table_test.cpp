// The CUDA-vs-CPU op table: every op with a CUDA path, on several shapes (odd sizes, not multiples
// of 32, empty, broadcast, non-contiguous, many blocks), fresh random inputs that are never zero,
// device outputs poisoned first, a tolerance per op; forward and, where differentiable, backward.
// The same table runs in the emulator (cuda_backend_tests) and on a GPU (..._native_tests).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/detection_ops.h"
#include "engine/functional.h"
#include "engine/losses.h"
#include "engine/nn/layers.h"
#include "engine/ops.h"
#include "engine/select_ops.h"
#include "tests/cuda/op_table.h"

using namespace engine;

namespace {

using namespace op_table;

// ---- the table

const std::vector<std::vector<Input>> kUnaryShapes = {
    {{{7}}}, {{{33, 65}, true}}, {{{0, 5}}}, {{{3, 1, 5}}}};

Case unary_case(UnaryOp op, Values values, bool backward, double rtol) {
  auto shapes = kUnaryShapes;
  for (auto& s : shapes) s[0].values = values;
  return {op_name(op), [op](const std::vector<Tensor>& x) { return unary(op, x[0]); },
          shapes,      1e-6,
          rtol,        backward};
}

TEST(CudaOpTable, Unary) {
  SKIP_WITHOUT_CUDA_BACKEND();
  std::vector<Case> table;
  for (UnaryOp op : {UnaryOp::neg, UnaryOp::abs, UnaryOp::square, UnaryOp::relu, UnaryOp::sin,
                     UnaryOp::cos, UnaryOp::sigmoid, UnaryOp::tanh, UnaryOp::silu, UnaryOp::gelu,
                     UnaryOp::exp, UnaryOp::expm1, UnaryOp::reciprocal})
    table.push_back(unary_case(op, Values::any, true, 1e-5));
  for (UnaryOp op : {UnaryOp::log, UnaryOp::sqrt, UnaryOp::rsqrt, UnaryOp::log1p})
    table.push_back(unary_case(op, Values::positive, true, 1e-5));
  for (UnaryOp op : {UnaryOp::sign, UnaryOp::floor, UnaryOp::ceil})
    table.push_back(unary_case(op, Values::any, false, 0.0));
  // Many blocks (a grid-stride loop) for a few ops.
  for (UnaryOp op : {UnaryOp::relu, UnaryOp::gelu}) {
    Case c = unary_case(op, Values::any, true, 1e-5);
    c.shapes = {{{{70001}}}};
    table.push_back(c);
  }
  // Integer and bool forms.
  table.push_back({"neg/abs/square/sign i64",
                   [](const std::vector<Tensor>& x) {
                     return add(add(neg(x[0]), abs(x[0])), add(square(x[0]), sign(x[0])));
                   },
                   {{{{9, 7}, true, Values::small_ints}}},
                   0,
                   0,
                   false});
  table.push_back({"logical_not",
                   [](const std::vector<Tensor>& x) { return logical_not(x[0]); },
                   {{{{9, 7}, true, Values::bools}}},
                   0,
                   0,
                   false});
  run_table(table);
}

const std::vector<std::vector<Input>> kBinaryShapes = {
    {{{33, 65}}, {{33, 65}}},    // contiguous: the float4 path
    {{{4, 1, 5}}, {{1, 3, 5}}},  // broadcast both ways
    {{{33, 65}, true}, {{65}}},  // non-contiguous and broadcast
    {{{}}, {{17}}},              // a 0-d operand
    {{{0, 3}}, {{3}}},           // empty
};

TEST(CudaOpTable, Binary) {
  SKIP_WITHOUT_CUDA_BACKEND();
  std::vector<Case> table;
  for (BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div, BinaryOp::maximum,
                      BinaryOp::minimum})
    table.push_back({op_name(op),
                     [op](const std::vector<Tensor>& x) { return binary(op, x[0], x[1]); },
                     kBinaryShapes, 1e-6, 1e-6, true});
  auto positive = kBinaryShapes;
  for (auto& s : positive) s[0].values = Values::positive;
  table.push_back({"pow", [](const std::vector<Tensor>& x) { return pow(x[0], x[1]); }, positive,
                   1e-6, 1e-5, true});
  table.push_back({"add, many blocks",
                   [](const std::vector<Tensor>& x) { return add(x[0], x[1]); },
                   {{{{300, 301}}, {{300, 301}}}, {{{300, 301}, true}, {{300, 1}}}},
                   1e-6,
                   1e-6,
                   true});
  // Comparisons on small integers (many ties) and on floats; integer arithmetic (floor division).
  auto ints = kBinaryShapes;
  for (auto& s : ints)
    for (auto& in : s) in.values = Values::small_ints;
  for (BinaryOp op :
       {BinaryOp::eq, BinaryOp::ne, BinaryOp::lt, BinaryOp::le, BinaryOp::gt, BinaryOp::ge,
        BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div, BinaryOp::maximum})
    table.push_back({std::string(op_name(op)) + " i64",
                     [op](const std::vector<Tensor>& x) { return binary(op, x[0], x[1]); }, ints, 0,
                     0, false});
  table.push_back({"lt f32", [](const std::vector<Tensor>& x) { return lt(x[0], x[1]); },
                   kBinaryShapes, 0, 0, false});
  auto bools = kBinaryShapes;
  for (auto& s : bools)
    for (auto& in : s) in.values = Values::bools;
  for (BinaryOp op : {BinaryOp::logical_and, BinaryOp::logical_or})
    table.push_back({op_name(op),
                     [op](const std::vector<Tensor>& x) { return binary(op, x[0], x[1]); }, bools,
                     0, 0, false});
  table.push_back({"where",
                   [](const std::vector<Tensor>& x) { return where(gt(x[0], 0.0), x[1], x[2]); },
                   {{{{4, 1, 5}}, {{1, 3, 5}}, {{}}}, {{{33, 65}, true}, {{33, 65}}, {{65}}}},
                   0,
                   0,
                   true});
  table.push_back({"clamp",
                   [](const std::vector<Tensor>& x) { return clamp(x[0], -0.5, 0.7); },
                   {{{{33, 65}, true}}, {{{7}}}},
                   0,
                   0,
                   true});
  run_table(table);
}

TEST(CudaOpTable, Conversions) {
  SKIP_WITHOUT_CUDA_BACKEND();
  std::vector<Case> table;
  for (DType dtype :
       {DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8, DType::b8, DType::f64})
    table.push_back(
        {std::string("to ") + dtype_name(dtype),
         [dtype](const std::vector<Tensor>& x) { return mul(x[0], 50.0).to(dtype).to(DType::f32); },
         {{{{33, 65}, true, Values::positive}}, {{{5}}}},
         0,
         0,
         false});
  table.push_back({"contiguous",
                   [](const std::vector<Tensor>& x) { return x[0].contiguous(); },
                   {{{{2, 3, 33, 65}, true}}},
                   0,
                   0,
                   true});
  run_table(table);
}

TEST(CudaOpTable, Reductions) {
  SKIP_WITHOUT_CUDA_BACKEND();
  using Reduce = std::function<Tensor(const Tensor&, const std::vector<std::int64_t>&, bool)>;
  const std::vector<std::pair<std::string, Reduce>> reductions = {
      {"sum", [](const Tensor& x, const auto& d, bool k) { return sum(x, d, k); }},
      {"mean", [](const Tensor& x, const auto& d, bool k) { return mean(x, d, k); }},
      {"amax", [](const Tensor& x, const auto& d, bool k) { return amax(x, d, k); }},
      {"amin", [](const Tensor& x, const auto& d, bool k) { return amin(x, d, k); }},
      {"logsumexp", [](const Tensor& x, const auto& d, bool k) { return logsumexp(x, d, k); }},
      {"var", [](const Tensor& x, const auto& d, bool k) { return var(x, d, 1, k); }},
  };
  struct Layout {
    Shape shape;
    bool transposed;
    std::vector<std::int64_t> dims;
    bool keepdim;
  };
  std::vector<Layout> layouts;
  layouts.push_back(Layout{Shape{5, 7, 9}, false, {}, false});
  layouts.push_back(Layout{Shape{5, 7, 9}, false, {1}, false});
  layouts.push_back(Layout{Shape{5, 7, 9}, true, {0, 2}, true});
  layouts.push_back(Layout{Shape{3, 2000}, false, {1}, false});  // a block per row
  layouts.push_back(Layout{Shape{2000, 3}, false, {0}, false});  // the reduced dim moved last first
  std::vector<Case> table;
  for (const auto& [name, fn] : reductions)
    for (const Layout& layout : layouts) {
      Input input;
      input.shape = layout.shape;
      input.transposed = layout.transposed;
      table.push_back({name,
                       [fn, layout](const std::vector<Tensor>& x) {
                         return fn(x[0], layout.dims, layout.keepdim);
                       },
                       {{input}},
                       1e-5,
                       1e-4,
                       true});
    }
  table.push_back({"sum over an empty dim",
                   [](const std::vector<Tensor>& x) { return sum(x[0], {0}); },
                   {{{{0, 4}}}},
                   0,
                   0,
                   false});
  run_table(table);
}

TEST(CudaOpTable, MatrixProducts) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const OpFn product = [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); };
  std::vector<Case> table = {
      {"mm",
       product,
       {{{{7, 13}}, {{13, 5}}},
        {{{65, 33}}, {{33, 70}}},
        {{{65, 33}, true}, {{33, 70}}},
        {{{7, 13}}, {{13, 5}, true}}},
       1e-5,
       1e-4,
       true},
      {"mm with k = 0",
       [](const std::vector<Tensor>& x) { return mm(x[0], x[1]); },
       {{{{4, 0}}, {{0, 3}}}},
       0,
       0,
       true},
      {"bmm / batched matmul",
       product,
       {{{{3, 17, 9}}, {{3, 9, 11}}}, {{{2, 3, 5, 4}}, {{4, 6}}}, {{{5}}, {{5, 3}}}},
       1e-5,
       1e-4,
       true},
      {"linear",
       [](const std::vector<Tensor>& x) { return linear(x[0], x[1], x[2]); },
       {{{{6, 20}}, {{12, 20}}, {{12}}}},
       1e-5,
       1e-4,
       true},
  };
  run_table(table);
}

TEST(CudaOpTable, LayerOps) {
  SKIP_WITHOUT_CUDA_BACKEND();
  std::vector<Case> table = {
      {"conv2d (bias, padding)",
       [](const std::vector<Tensor>& x) {
         return conv2d(x[0], x[1], x[2], {1, 1}, {1, 1});
       },
       {{{{2, 3, 9, 11}}, {{4, 3, 3, 3}}, {{4}}}},
       1e-5,
       1e-4,
       true},
      {"conv2d (groups, stride, dilation)",
       [](const std::vector<Tensor>& x) {
         return conv2d(x[0], x[1], Tensor(), {2, 2}, {2, 1}, {2, 2}, 2);
       },
       {{{{1, 4, 10, 9}}, {{6, 2, 3, 3}}}},
       1e-5,
       1e-4,
       true},
      {"max_pool2d",
       [](const std::vector<Tensor>& x) {
         return max_pool2d(x[0], {3, 3}, Pair{2, 2}, {1, 1});
       },
       {{{{2, 3, 9, 11}}}},
       0,
       0,
       true},
      {"avg_pool2d",
       [](const std::vector<Tensor>& x) {
         return avg_pool2d(x[0], {3, 2}, Pair{2, 1}, {1, 1});
       },
       {{{{2, 3, 9, 11}}}},
       1e-6,
       1e-5,
       true},
      {"avg_pool2d (padding excluded)",
       [](const std::vector<Tensor>& x) {
         return avg_pool2d(x[0], {3, 3}, Pair{2, 2}, {1, 1}, true, false);
       },
       {{{{2, 3, 9, 11}}}},
       1e-6,
       1e-5,
       true},
      {"adaptive_avg_pool2d",
       [](const std::vector<Tensor>& x) {
         return adaptive_avg_pool2d(x[0], {4, 5});
       },
       {{{{2, 3, 9, 11}}}},
       1e-6,
       1e-5,
       true},
      {"upsample_nearest",
       [](const std::vector<Tensor>& x) {
         return upsample_nearest(x[0], Pair{9, 13});
       },
       {{{{2, 3, 5, 7}}}},
       0,
       0,
       true},
      {"upsample_bilinear",
       [](const std::vector<Tensor>& x) {
         return upsample_bilinear(x[0], {9, 13});
       },
       {{{{2, 3, 5, 7}}}},
       1e-6,
       1e-5,
       true},
      {"upsample_bilinear (align_corners)",
       [](const std::vector<Tensor>& x) {
         return upsample_bilinear(x[0], {4, 13}, true);
       },
       {{{{2, 3, 5, 7}}}},
       1e-6,
       1e-5,
       true},
      {"batch_norm (training)",
       [](const std::vector<Tensor>& x) {
         return batch_norm(x[0], Tensor(), Tensor(), x[1], x[2], true);
       },
       {{{{4, 3, 5, 7}}, {{3}}, {{3}}}},
       1e-5,
       1e-4,
       true},
      {"group_norm",
       [](const std::vector<Tensor>& x) { return group_norm(x[0], 3, x[1], x[2]); },
       {{{{2, 6, 5, 7}}, {{6}}, {{6}}}},
       1e-5,
       1e-4,
       true},
      {"layer_norm",
       [](const std::vector<Tensor>& x) { return layer_norm(x[0], {33}, x[1], x[2]); },
       {{{{4, 5, 33}}, {{33}}, {{33}}}},
       1e-5,
       1e-4,
       true},
      // Boxes from a fixed list (random boxes would not be valid), features random.
      {"roi_align",
       [](const std::vector<Tensor>& x) {
         const Tensor rois = from_vector<float>(
             {0, 1.5f, 2.0f, 9.5f, 12.0f, 1, 0, 0, 15, 15, 0, 4.2f, 3.3f, 6.1f, 5.0f}, {3, 5},
             {.device = x[0].device()});
         return add(roi_align(x[0], rois, {3, 4}, 1.0, 2, true),
                    sum(roi_align(x[0], rois, {2, 2}, 0.5, 0, false)));
       },
       {{{{2, 3, 16, 16}}}},
       1e-5,
       1e-4,
       true},
  };
  run_table(table);
}

// ---- sorting, selection and losses (kernels2)

// An i64 tensor on the device of `like`.
Tensor i64_on(const std::vector<std::int64_t>& values, const Shape& shape, const Tensor& like) {
  return from_vector(values, shape, {.dtype = DType::i64, .device = like.device()});
}

TEST(CudaOpTable, SortAndSelect) {
  SKIP_WITHOUT_CUDA_BACKEND();
  // f32 values with many ties (floor of 2x in -4..3) and continuous ones, several layouts.
  const std::vector<std::vector<Input>> shapes = {
      {{{7}}}, {{{33, 65}, true}}, {{{0, 5}}}, {{{3, 1, 5}}}};
  const std::vector<std::vector<Input>> long_rows = {{{{2, 3000}}}};  // merge passes
  const auto tied = [](const Tensor& x) { return floor(mul(x, 2.0)); };
  std::vector<Case> table;
  for (bool descending : {false, true}) {
    const std::string order = descending ? " descending" : " ascending";
    table.push_back(
        {"sort values" + order,
         [descending](const std::vector<Tensor>& x) { return sort(x[0], -1, descending).values; },
         shapes, 0, 0, false});
    table.push_back({"sort indices with ties" + order,
                     [descending, tied](const std::vector<Tensor>& x) {
                       return sort(tied(x[0]), -1, descending).indices;
                     },
                     shapes, 0, 0, false});
    table.push_back({"argsort along dim 0 with ties" + order,
                     [descending, tied](const std::vector<Tensor>& x) {
                       return argsort(tied(x[0]), 0, descending);
                     },
                     {{{{33, 65}, true}}, {{{9, 4, 3}}}},
                     0,
                     0,
                     false});
    table.push_back({"sort of long rows" + order,
                     [descending, tied](const std::vector<Tensor>& x) {
                       const ValuesIndices r = sort(tied(x[0]), 1, descending);
                       return add(r.values, r.indices.to(DType::f32));
                     },
                     long_rows, 0, 0, false});
  }
  table.push_back({"sort i64",
                   [](const std::vector<Tensor>& x) {
                     const ValuesIndices r = sort(x[0], 0, true);
                     return add(r.values, mul(r.indices, 10.0));
                   },
                   {{{{40, 3}, true, Values::small_ints}}},
                   0,
                   0,
                   false});
  for (bool largest : {true, false})
    table.push_back({largest ? "topk largest (values + 100 * indices)" : "topk smallest",
                     [largest, tied](const std::vector<Tensor>& x) {
                       const ValuesIndices r = topk(tied(x[0]), 3, -1, largest);
                       return add(r.values, mul(r.indices.to(DType::f32), 100.0));
                     },
                     {{{{33, 65}, true}}, {{{2, 3000}}}, {{{5, 3}}}},
                     0,
                     0,
                     false});
  table.push_back({"topk k = 0",
                   [](const std::vector<Tensor>& x) { return topk(x[0], 0).indices; },
                   {{{{4, 6}}}},
                   0,
                   0,
                   false});
  table.push_back({"nonzero",
                   [](const std::vector<Tensor>& x) { return nonzero(gt(x[0], 0.5)); },
                   {{{{33, 65}, true}}, {{{3, 1, 5}}}, {{{0, 5}}}, {{{}}}, {{{2, 2000}}}},
                   0,
                   0,
                   false});
  table.push_back({"nonzero of an all-false mask",
                   [](const std::vector<Tensor>& x) { return nonzero(gt(x[0], 10.0)); },
                   {{{{9, 7}}}},
                   0,
                   0,
                   false});
  table.push_back({"repeat_interleave(repeats)",
                   [](const std::vector<Tensor>& x) {
                     return repeat_interleave(i64_on({2, 0, 3, 1, 0, 4}, {6}, x[0]));
                   },
                   {{{{1}}}},
                   0,
                   0,
                   false});
  table.push_back({"repeat_interleave(repeats) of zeros",
                   [](const std::vector<Tensor>& x) {
                     return repeat_interleave(i64_on({0, 0}, {2}, x[0]));
                   },
                   {{{{1}}}},
                   0,
                   0,
                   false});
  for (bool accumulate : {false, true}) {
    const std::string how = accumulate ? " (accumulate)" : "";
    table.push_back({"index_put rows with repeats" + how,
                     [accumulate](const std::vector<Tensor>& x) {
                       return index_put(x[0], {i64_on({4, 0, -2, 4}, {4}, x[0])}, x[1], accumulate);
                     },
                     {{{{6, 5}}, {{4, 5}}}, {{{6, 5}}, {{5}}}},
                     1e-6,
                     1e-6,
                     true});
    table.push_back({"index_put elements by two indices" + how,
                     [accumulate](const std::vector<Tensor>& x) {
                       return index_put(
                           x[0], {i64_on({1, 2, 1}, {3}, x[0]), i64_on({0, 3, 0}, {3}, x[0])}, x[1],
                           accumulate);
                     },
                     {{{{3, 4}, true}, {{3}}}},
                     1e-6,
                     1e-6,
                     true});
  }
  table.push_back(
      {"index_put by a bool mask",
       [](const std::vector<Tensor>& x) { return index_put(x[0], {gt(x[1], 0.0)}, x[2]); },
       {{{{4, 3}}, {{4}}, {{1}}}},
       0,
       0,
       true});
  run_table(table);
}

TEST(CudaOpTable, Losses) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const std::vector<std::vector<Input>> pairs = {
      {{{7}}, {{7}}}, {{{33, 65}, true}, {{33, 65}}}, {{{0, 5}}, {{0, 5}}}};
  std::vector<Case> table;
  for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    const std::string red = r == Reduction::none   ? " none"
                            : r == Reduction::mean ? " mean"
                                                   : " sum";
    table.push_back({"binary_cross_entropy_with_logits" + red,
                     [r](const std::vector<Tensor>& x) {
                       return binary_cross_entropy_with_logits(mul(x[0], 4.0), sigmoid(x[1]), {},
                                                               {}, r);
                     },
                     pairs, 1e-6, 1e-5, true});
    table.push_back(
        {"smooth_l1 beta 0.5" + red,
         [r](const std::vector<Tensor>& x) { return smooth_l1_loss(x[0], x[1], 0.5, r); }, pairs,
         1e-6, 1e-5, true});
    table.push_back({"smooth_l1 beta 0 (L1)" + red,
                     [r](const std::vector<Tensor>& x) { return smooth_l1_loss(x[0], x[1], 0, r); },
                     pairs, 1e-6, 1e-5, true});
    table.push_back({"l1" + red,
                     [r](const std::vector<Tensor>& x) { return l1_loss(x[0], x[1], r); }, pairs,
                     1e-6, 1e-5, true});
    table.push_back({"mse" + red,
                     [r](const std::vector<Tensor>& x) { return mse_loss(x[0], x[1], r); }, pairs,
                     1e-6, 1e-5, true});
    table.push_back({"sigmoid_focal_loss" + red,
                     [r](const std::vector<Tensor>& x) {
                       return sigmoid_focal_loss(mul(x[0], 3.0), gt(x[1], 0.0).to(DType::f32), 0.25,
                                                 2.0, r);
                     },
                     pairs, 1e-6, 1e-5, true});
  }
  table.push_back({"binary_cross_entropy_with_logits (weight, pos_weight [C])",
                   [](const std::vector<Tensor>& x) {
                     return binary_cross_entropy_with_logits(mul(x[0], 4.0), sigmoid(x[1]),
                                                             x[2].detach(), abs(x[3]).detach(),
                                                             Reduction::none);
                   },
                   {{{{9, 5}}, {{9, 5}}, {{9, 5}}, {{5}}}},
                   1e-6,
                   1e-5,
                   true});
  run_table(table);
}

// The documented results of empty inputs, on the device: empty values and i64 indices, [0, rank]
// coordinates, an empty index list.
TEST(CudaOpTable, EmptySelectionsHaveTheDocumentedShapes) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const TensorOptions on_cuda{.device = Device::cuda()};
  const ValuesIndices sorted = sort(empty({0}, on_cuda));
  EXPECT_EQ(sorted.values.shape(), Shape({0}));
  EXPECT_EQ(sorted.indices.dtype(), DType::i64);
  EXPECT_TRUE(sorted.indices.device().is_cuda());
  const ValuesIndices none = topk(ones({4, 6}, on_cuda), 0);
  EXPECT_EQ(none.values.shape(), Shape({4, 0}));
  EXPECT_EQ(none.indices.shape(), Shape({4, 0}));
  const Tensor coordinates = nonzero(zeros({5, 7}, {.dtype = DType::b8, .device = Device::cuda()}));
  EXPECT_EQ(coordinates.shape(), Shape({0, 2}));
  EXPECT_EQ(coordinates.dtype(), DType::i64);
  EXPECT_TRUE(coordinates.device().is_cuda());
  EXPECT_EQ(nonzero(ones({}, on_cuda)).shape(), Shape({1, 0}));
  EXPECT_EQ(repeat_interleave(zeros({3}, {.dtype = DType::i64, .device = Device::cuda()})).shape(),
            Shape({0}));
}

TEST(CudaOpTable, DropoutAndTimestepEmbedding) {
  SKIP_WITHOUT_CUDA_BACKEND();
  std::vector<Case> table;
  // A fresh generator with one seed on both devices: the same Philox mask.
  table.push_back({"dropout p 0.3 (training)",
                   [](const std::vector<Tensor>& x) {
                     Generator gen(7);
                     return dropout(x[0], 0.3, true, gen);
                   },
                   {{{{33, 65}, true}}, {{{0, 4}}}, {{{1000}}}},
                   1e-6,
                   1e-6,
                   true});
  table.push_back({"dropout p 1 and eval",
                   [](const std::vector<Tensor>& x) {
                     Generator gen(8);
                     return add(dropout(x[0], 1.0, true, gen), dropout(x[0], 0.5, false, gen));
                   },
                   {{{{5, 7}}}},
                   0,
                   0,
                   true});
  for (std::int64_t dim : {8, 7})
    table.push_back(
        {"timestep_embedding dim " + std::to_string(dim),
         [dim](const std::vector<Tensor>& x) { return timestep_embedding(mul(x[0], 100.0), dim); },
         {{{{5}, false, Values::positive}}},
         1e-5,
         1e-5,
         true});
  run_table(table);
}

// Bad input on the device gets the CPU's clear errors (validated before any kernel runs).
TEST(CudaOpTable, BadSelectionsOnCudaAreClearErrors) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const Tensor x = ones({4, 3}, {.device = Device::cuda()});
  const auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { topk(x, 4); }).find("k = 4 is outside [0, 3]"), std::string::npos);
  EXPECT_NE(message([&] {
              index_put(x, {i64_on({1, 4}, {2}, x)}, ones({3}, {.device = x.device()}));
            }).find("index 4 is out of range for dim 0 of size 4"),
            std::string::npos);
  EXPECT_NE(message([&] {
              repeat_interleave(i64_on({1, -2}, {2}, x));
            }).find("repeats must not be negative, got -2 at 1"),
            std::string::npos);
  EXPECT_NE(message([&] { sort(x.to(DType::b8)); }).find("sort"), std::string::npos);
}

// Ops composed over softmax / index_select / gather / scatter_add: gradients of sort and topk,
// masked_select, repeat_interleave along a dim, cross entropy, attention and embedding.
TEST(CudaOpTable, CompositionsOverIndexAndSoftmax) {
  SKIP_WITHOUT_CUDA_BACKEND();
  std::vector<Case> table;
  table.push_back({"sort values (backward)",
                   [](const std::vector<Tensor>& x) { return sort(x[0], 0, true).values; },
                   {{{{33, 65}, true}}, {{{9, 4, 3}}}},
                   0,
                   0,
                   true});
  table.push_back({"topk values (backward)",
                   [](const std::vector<Tensor>& x) { return topk(x[0], 4, -1).values; },
                   {{{{33, 65}, true}}, {{{2, 3000}}}},
                   0,
                   0,
                   true});
  table.push_back({"masked_select",
                   [](const std::vector<Tensor>& x) { return masked_select(x[0], gt(x[1], 0.0)); },
                   {{{{33, 65}, true}, {{33, 65}}}, {{{4, 5}}, {{5}}}, {{{0, 5}}, {{5}}}},
                   0,
                   0,
                   true});
  table.push_back({"repeat_interleave along dim 1",
                   [](const std::vector<Tensor>& x) {
                     return add(repeat_interleave(x[0], i64_on({2, 0, 3}, {3}, x[0]), 1),
                                repeat_interleave(x[0], 2, 1).narrow(1, 0, 5));
                   },
                   {{{{4, 3}}}},
                   1e-6,
                   1e-6,
                   true});
  table.push_back({"repeat_interleave flattened",
                   [](const std::vector<Tensor>& x) { return repeat_interleave(x[0], 3); },
                   {{{{2, 5}, true}}},
                   0,
                   0,
                   true});
  for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    const std::string red = r == Reduction::none   ? " none"
                            : r == Reduction::mean ? " mean"
                                                   : " sum";
    table.push_back({"cross_entropy (class weights, ignore_index)" + red,
                     [r](const std::vector<Tensor>& x) {
                       const Tensor target = i64_on({2, -100, 0, 4, 4, 1, -100}, {7}, x[0]);
                       return cross_entropy(x[0], target, abs(x[1]).detach(), -100, r);
                     },
                     {{{{7, 5}}, {{5}}}},
                     1e-5,
                     1e-5,
                     true});
    table.push_back({"cross_entropy [N, C, d]" + red,
                     [r](const std::vector<Tensor>& x) {
                       const Tensor target = i64_on({0, 2, 1, 1, 2, 0}, {2, 3}, x[0]);
                       return cross_entropy(x[0], target, {}, -100, r);
                     },
                     {{{{2, 3, 3}}}},
                     1e-5,
                     1e-5,
                     true});
  }
  table.push_back(
      {"scaled_dot_product_attention",
       [](const std::vector<Tensor>& x) { return scaled_dot_product_attention(x[0], x[1], x[2]); },
       {{{{2, 5, 8}}, {{2, 7, 8}}, {{2, 7, 6}}}, {{{3, 16}}, {{33, 16}}, {{33, 4}}}},
       1e-5,
       1e-4,
       true});
  table.push_back({"scaled_dot_product_attention (bool mask, scale)",
                   [](const std::vector<Tensor>& x) {
                     // Every query keeps key 0, so no row is fully masked.
                     const Tensor keep = logical_or(
                         gt(x[3], 0.0),
                         lt(arange(7, {.dtype = DType::i64, .device = x[3].device()}), 1));
                     return scaled_dot_product_attention(x[0], x[1], x[2], keep, 0.3);
                   },
                   {{{{2, 5, 8}}, {{2, 7, 8}}, {{2, 7, 6}}, {{5, 7}}}},
                   1e-5,
                   1e-4,
                   true});
  table.push_back({"scaled_dot_product_attention (float mask)",
                   [](const std::vector<Tensor>& x) {
                     return scaled_dot_product_attention(x[0], x[1], x[2], x[3].detach());
                   },
                   {{{{2, 5, 8}}, {{2, 7, 8}}, {{2, 7, 6}}, {{5, 7}}}},
                   1e-5,
                   1e-4,
                   true});
  for (bool padded : {false, true})
    table.push_back({padded ? "embedding (padding_idx 2)" : "embedding",
                     [padded](const std::vector<Tensor>& x) {
                       Generator gen(3);
                       nn::Embedding embedding(
                           6, 5, padded ? std::optional<std::int64_t>(2) : std::nullopt, gen);
                       embedding.weight = x[0];  // the table under test
                       return embedding.forward(i64_on({2, 0, 5, 2, 3, 0}, {2, 3}, x[0]));
                     },
                     {{{{6, 5}}}},
                     0,
                     0,
                     true});
  run_table(table);
}

}  // namespace
