// Sorting and selection ops: stable order and NaN placement, top-k ties, nonzero, masked_select,
// index_put (accumulate, negative and bool indices), repeat_interleave; gradchecks and bad input.
#include <gtest/gtest.h>

#include <limits>

#include "engine/select_ops.h"
#include "test_util.h"

using namespace engine;
using test_util::expect_close;
using test_util::ints;
using test_util::leaf;
using test_util::values;
using Inputs = std::vector<Tensor>;

namespace {

using I = std::vector<std::int64_t>;

TEST(Sort, StableInBothDirectionsAlongAnyDim) {
  const Tensor x = from_vector<float>({3, 1, 3, 2, 1, 3});
  const auto asc = sort(x);
  expect_close(values(asc.values), {1, 1, 2, 3, 3, 3}, 0);
  EXPECT_EQ(ints(asc.indices), (I{1, 4, 3, 0, 2, 5}));
  EXPECT_EQ(ints(argsort(x, 0, true)), (I{0, 2, 5, 3, 1, 4}));
  // Along dim 0 of a [3, 2] tensor (strided lanes) and on a transposed view.
  const Tensor m = from_vector<double>({5, 0, 1, 0, 5, -1}, {3, 2});
  const auto col = sort(m, 0, true);
  expect_close(values(col.values), {5, 0, 5, 0, 1, -1}, 0);
  EXPECT_EQ(ints(col.indices), (I{0, 0, 2, 1, 1, 2}));
  EXPECT_EQ(ints(argsort(m.t(), 1)), (I{1, 0, 2, 2, 0, 1}));
  // Integers, 0-d and empty tensors.
  EXPECT_EQ(ints(argsort(from_vector<std::int64_t>({4, -2, 4, 0}))), (I{1, 3, 0, 2}));
  EXPECT_EQ(sort(scalar_tensor(2.0)).values.dim(), 0);
  EXPECT_EQ(sort(zeros({0})).indices.shape(), (Shape{0}));
  EXPECT_THROW(sort(from_vector<bool>({true, false})), Error);
}

TEST(Sort, NaNIsTheLargestValue) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = from_vector<double>({nan, 1, -3, nan, 2});
  EXPECT_EQ(ints(argsort(x)), (I{2, 1, 4, 0, 3}));
  EXPECT_EQ(ints(argsort(x, 0, true)), (I{0, 3, 4, 1, 2}));
  EXPECT_EQ(ints(topk(x, 1).indices), (I{0}));
}

TEST(Topk, LargestSmallestTiesAndDims) {
  const Tensor x = from_vector<float>({1, 9, 4, 9, 0, 4}, {2, 3});
  const auto top = topk(x, 2);
  expect_close(values(top.values), {9, 4, 9, 4}, 0);
  EXPECT_EQ(ints(top.indices), (I{1, 2, 0, 2}));
  const auto low = topk(x, 1, 0, false);  // smallest along dim 0
  expect_close(values(low.values), {1, 0, 4}, 0);
  EXPECT_EQ(ints(low.indices), (I{0, 1, 0}));
  // Ties go to the lower index, deterministic for k cutting through a tie.
  EXPECT_EQ(ints(topk(from_vector<float>({2, 5, 5, 5, 1}), 2).indices), (I{1, 2}));
  EXPECT_EQ(topk(x, 0).values.shape(), (Shape{2, 0}));
  EXPECT_THROW(topk(x, 4), Error);
  EXPECT_THROW(topk(x, -1), Error);
  EXPECT_THROW(topk(x, 1, 2), Error);
}

TEST(Sort, GradcheckValues) {
  // Distinct values (leaf draws are distinct almost surely): the gradient is a permutation.
  const Tensor x = leaf({3, 5}, 51);
  EXPECT_GRADCHECK([](const Inputs& in) { return sort(in[0], 1, true).values; }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return topk(in[0], 2, 0).values; }, Inputs{x});
  EXPECT_GRADCHECK([](const Inputs& in) { return topk(in[0], 3, -1, false).values; }, Inputs{x});
}

TEST(Nonzero, CoordinatesInRowMajorOrder) {
  const Tensor x = from_vector<float>({0, 2, 0, -1, 0, 0.5}, {2, 3});
  EXPECT_EQ(nonzero(x).shape(), (Shape{3, 2}));
  EXPECT_EQ(ints(nonzero(x)), (I{0, 1, 1, 0, 1, 2}));
  EXPECT_EQ(ints(nonzero(from_vector<bool>({false, true, true}))), (I{1, 2}));
  EXPECT_EQ(ints(nonzero(x.t())), (I{0, 1, 1, 0, 2, 1}));  // a non-contiguous view
  EXPECT_EQ(nonzero(zeros({4, 2})).shape(), (Shape{0, 2}));
  EXPECT_EQ(nonzero(scalar_tensor(3.0)).shape(), (Shape{1, 0}));
}

TEST(MaskedSelect, BroadcastAndGradient) {
  const Tensor x = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor row_mask = from_vector<bool>({true, false, true});  // broadcast over rows
  expect_close(values(masked_select(x, row_mask)), {1, 3, 4, 6}, 0);
  const Tensor col = from_vector<double>({7, 8}, {2, 1});  // x broadcast against a [2, 3] mask
  expect_close(values(masked_select(
                   col, from_vector<bool>({true, false, true, false, false, true}, {2, 3}))),
               {7, 7, 8}, 0);
  const Tensor mask = gt(leaf({3, 4}, 52).detach(), 0.0);
  EXPECT_GRADCHECK([&](const Inputs& in) { return masked_select(in[0], mask); },
                   Inputs{leaf({3, 4}, 53)});
  EXPECT_GRADCHECK([&](const Inputs& in) { return masked_select(in[0], mask); },
                   Inputs{leaf({3, 1}, 54)});
  EXPECT_THROW(masked_select(x, from_vector<float>({1, 0, 1})), Error);
  EXPECT_THROW(masked_select(x, from_vector<bool>({true, false})), Error);
}

TEST(IndexPut, OverwriteAccumulateNegativeAndBool) {
  const Tensor x = zeros({3, 4}, {.dtype = DType::f64});
  // Two index tensors address single elements; a repeated index: last value wins / values add.
  const Tensor rows = from_vector<std::int64_t>({0, 2, 0}),
               cols = from_vector<std::int64_t>({1, -1, 1});
  const Tensor v = from_vector<double>({5, 6, 7});
  expect_close(values(index_put(x, {rows, cols}, v)), {0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6}, 0);
  expect_close(values(index_put(x, {rows, cols}, v, true)), {0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6},
               0);
  // One index tensor addresses whole rows; the value broadcasts over [2, 4].
  expect_close(values(index_put(x, {from_vector<std::int64_t>({2, 0})},
                                scalar_tensor(1.0, {.dtype = DType::f64}))),
               {1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1}, 0);
  // A bool mask over both dims (x[mask] = v) and over the first dim.
  const Tensor mask = from_vector<bool>(
      {true, false, false, true, false, false, false, false, false, true, false, false}, {3, 4});
  expect_close(values(index_put(x, {mask}, from_vector<double>({1, 2, 3}))),
               {1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0}, 0);
  expect_close(values(index_put(x, {from_vector<bool>({false, true, false})},
                                from_vector<double>({1, 2, 3, 4}))),
               {0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0}, 0);
  // Integer tensors too (labels in a matcher).
  EXPECT_EQ(ints(index_put(zeros({4}, {.dtype = DType::i64}), {from_vector<std::int64_t>({3, 1})},
                           from_vector<std::int64_t>({-1, 9}))),
            (I{0, 9, 0, -1}));
}

TEST(IndexPut, GradcheckAndBadInput) {
  const Tensor rows = from_vector<std::int64_t>({0, 2, 0}),
               cols = from_vector<std::int64_t>({1, 3, 2});
  const Tensor x = leaf({3, 4}, 55), v = leaf({3}, 56), vb = leaf({1}, 57);
  for (bool accumulate : {false, true}) {
    EXPECT_GRADCHECK(
        [&](const Inputs& in) {
          return index_put(in[0], {rows, cols}, in[1], accumulate);
        },
        (Inputs{x, v}));
    EXPECT_GRADCHECK([&](const Inputs& in) { return index_put(in[0], {rows}, in[1], accumulate); },
                     (Inputs{x, vb}));
  }
  // Overwritten elements pass no gradient to x.
  Tensor xg = zeros({2, 2}, {.dtype = DType::f64});
  xg.requires_grad_(true);
  sum(index_put(xg, {from_vector<std::int64_t>({1})}, zeros({2}, {.dtype = DType::f64})))
      .backward();
  expect_close(values(xg.grad()), {1, 1, 0, 0}, 0);

  EXPECT_THROW(index_put(x, {from_vector<std::int64_t>({3})}, v), Error);          // out of range
  EXPECT_THROW(index_put(x, {from_vector<std::int64_t>({-4})}, v), Error);         // out of range
  EXPECT_THROW(index_put(x, {rows, cols}, leaf({2}, 58)), Error);                  // values shape
  EXPECT_THROW(index_put(x, {rows, cols}, from_vector<float>({1, 2, 3})), Error);  // values dtype
  EXPECT_THROW(index_put(x, {rows, cols, cols}, v), Error);                  // too many indices
  EXPECT_THROW(index_put(x, {from_vector<double>({0})}, v), Error);          // float index
  EXPECT_THROW(index_put(x, {from_vector<bool>({true, false})}, v), Error);  // mask shape
}

TEST(RepeatInterleave, TensorAndScalarRepeats) {
  EXPECT_EQ(ints(repeat_interleave(from_vector<std::int64_t>({2, 0, 3}))), (I{0, 0, 2, 2, 2}));
  const Tensor x = from_vector<double>({1, 2, 3, 4}, {2, 2});
  expect_close(values(repeat_interleave(x, 2)), {1, 1, 2, 2, 3, 3, 4, 4}, 0);  // no dim: flattened
  expect_close(values(repeat_interleave(x, from_vector<std::int64_t>({1, 2}), 0)),
               {1, 2, 3, 4, 3, 4}, 0);
  expect_close(values(repeat_interleave(x, 3, 1)), {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}, 0);
  EXPECT_EQ(repeat_interleave(x, from_vector<std::int64_t>({0, 0}), 0).shape(), (Shape{0, 2}));
  EXPECT_GRADCHECK(
      [](const Inputs& in) {
        return repeat_interleave(in[0], from_vector<std::int64_t>({3, 0, 1}), 1);
      },
      Inputs{leaf({2, 3}, 59)});
  EXPECT_THROW(repeat_interleave(from_vector<std::int64_t>({1, -1})), Error);
  EXPECT_THROW(repeat_interleave(x, from_vector<std::int64_t>({1, 2, 3}), 0), Error);
  EXPECT_THROW(repeat_interleave(x, from_vector<double>({1, 2}), 0), Error);
}

}  // namespace
