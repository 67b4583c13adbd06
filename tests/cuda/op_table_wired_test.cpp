// CUDA-vs-CPU op table rows for softmax, indexing, joins and detection ops, plus the optimizer
// steps and Philox draws compared with the CPU after running on cuda (same seeds, same numbers).
#include <gtest/gtest.h>

#include <vector>

#include "engine/detection_ops.h"
#include "engine/optim/optimizer.h"
#include "tests/cuda/op_table.h"

using namespace engine;

namespace {

using namespace op_table;

// i64 indices on x's device.
Tensor indices_like(const std::vector<std::int64_t>& values, const Shape& shape, const Tensor& x) {
  return from_vector(values, shape, {.dtype = DType::i64, .device = x.device()});
}

// Valid boxes [K, 4] from a positive [K, 4] tensor: corners (10 u, 10 v), sizes (5 w, 5 h).
Tensor boxes_from(const Tensor& positive) {
  const Tensor corner = mul(positive.narrow(1, 0, 2), 10.0);
  return cat({corner, add(corner, mul(positive.narrow(1, 2, 2), 5.0))}, 1);
}

TEST(CudaOpTable, Softmax) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const std::vector<std::vector<Input>> last_dim = {
      {{{7}}}, {{{33, 65}, true}}, {{{0, 5}}}, {{{300, 67}}}};  // 300 rows: many blocks
  const std::vector<std::vector<Input>> middle_dim = {{{{4, 1, 5}}}, {{{3, 70, 5}, true}}};
  std::vector<Case> table;
  for (bool log : {false, true}) {
    const std::string name = log ? "log_softmax" : "softmax";
    table.push_back({name + " (last dim)",
                     [log](const std::vector<Tensor>& x) {
                       return log ? log_softmax(x[0], -1) : softmax(x[0], -1);
                     },
                     last_dim, 1e-6, 1e-5, true});
    table.push_back({name + " (dim 1)",
                     [log](const std::vector<Tensor>& x) {
                       return log ? log_softmax(x[0], 1) : softmax(x[0], 1);
                     },
                     middle_dim, 1e-6, 1e-5, true});
  }
  run_table(table);
}

TEST(CudaOpTable, ArgReductions) {
  SKIP_WITHOUT_CUDA_BACKEND();
  struct Layout {
    Input input;
    std::int64_t dim;
  };
  const std::vector<Layout> layouts = {{{{5, 7, 9}}, 1}, {{{33, 65}, true}, 0}, {{{3, 2000}}, 1},
                                       {{{2000, 3}}, 0}, {{{5, 7, 9}}, 2},      {{{0, 4}}, 1}};
  std::vector<Case> table;
  for (bool is_max : {true, false})
    for (const Layout& l : layouts) {
      const std::int64_t dim = l.dim;
      const std::string name = is_max ? "max(dim)" : "min(dim)";
      table.push_back({name + " values",
                       [is_max, dim](const std::vector<Tensor>& x) {
                         return (is_max ? max(x[0], dim) : min(x[0], dim)).values;
                       },
                       {{l.input}},
                       0,
                       0,
                       true});
      Input ties = l.input;  // small integers: many ties, the first index must win
      ties.values = Values::small_ints;
      table.push_back({is_max ? "argmax (ties)" : "argmin (ties)",
                       [is_max, dim](const std::vector<Tensor>& x) {
                         const Tensor f = x[0].to(DType::f32);
                         return is_max ? argmax(f, dim) : argmin(f, dim);
                       },
                       {{ties}},
                       0,
                       0,
                       false});
    }
  table.push_back({"argmax / max with NaN",
                   [](const std::vector<Tensor>& x) {
                     const Tensor nan = full({}, NAN, {.device = x[0].device()});
                     const Tensor holes = where(gt(x[0], 1.7), nan, x[0]);
                     const auto m = max(holes, 1, true);
                     const Tensor indices = add(argmax(holes, 1, true), argmin(holes, 1, true));
                     return add(m.values, indices.to(DType::f32));
                   },
                   {{{{9, 40}}}},
                   0,
                   0,
                   false});
  run_table(table);
}

TEST(CudaOpTable, Indexing) {
  SKIP_WITHOUT_CUDA_BACKEND();
  std::vector<Case> table = {
      {"index_select dim 0 (repeated indices)",
       [](const std::vector<Tensor>& x) {
         return index_select(x[0], 0, indices_like({3, 0, 8, 3, 5}, {5}, x[0]));
       },
       {{{{9, 7}, true}}, {{{9, 70, 33}}}},
       0,
       0,
       true},
      {"index_select dim 1 (i32 index), empty index",
       [](const std::vector<Tensor>& x) {
         const Tensor i32 = indices_like({6, 1, 1}, {3}, x[0]).to(DType::i32);
         return add(index_select(x[0], 1, i32),
                    sum(index_select(x[0], 1, indices_like({}, {0}, x[0]))));
       },
       {{{{4, 7, 3}}}},
       1e-6,
       1e-6,
       true},
      {"index_select of i64 data (detector labels, levels)",
       [](const std::vector<Tensor>& x) {
         return index_select(x[0], 0, indices_like({3, 0, 8, 3, 5}, {5}, x[0]));
       },
       {{{{9, 7}, true, Values::small_ints}},
        {{{9}, false, Values::small_ints}},
        {{{9, 0}, false, Values::small_ints}}},
       0,
       0,
       false},
      {"index_add (repeated indices)",
       [](const std::vector<Tensor>& x) {
         return index_add(x[0], 1, indices_like({1, 1, 4, 0}, {4}, x[0]), x[1]);
       },
       {{{{6, 5}}, {{6, 4}}}, {{{3, 5, 2}}, {{3, 4, 2}}}},
       1e-6,
       1e-6,
       true},
      {"gather / scatter_add",
       [](const std::vector<Tensor>& x) {
         std::vector<std::int64_t> values;
         for (std::int64_t i = 0; i < 5 * 3; ++i) values.push_back((i * 5 + 2) % 7);
         const Tensor index = indices_like(values, {5, 3}, x[0]);
         return add(gather(x[0], 1, index), scatter_add(x[1], 1, index, x[2]).narrow(1, 0, 3));
       },
       {{{{5, 7}, true}, {{5, 7}}, {{5, 4}}}},
       1e-6,
       1e-6,
       true},
      {"gather many blocks (dim 0 of 3-d)",
       [](const std::vector<Tensor>& x) {
         std::vector<std::int64_t> values;
         for (std::int64_t i = 0; i < 40 * 30 * 9; ++i) values.push_back((i * 7 + 1) % 50);
         return gather(x[0], 0, indices_like(values, {40, 30, 9}, x[0]));
       },
       {{{{50, 31, 9}}}},
       0,
       0,
       true},
      {"one_hot",
       [](const std::vector<Tensor>& x) { return one_hot(add(x[0], 3.0), 7); },
       {{{{9, 4}, true, Values::small_ints}}, {{{0}, false, Values::small_ints}}},
       0,
       0,
       false},
  };
  run_table(table);
}

TEST(CudaOpTable, Joins) {
  SKIP_WITHOUT_CUDA_BACKEND();
  std::vector<Case> table = {
      {"cat dim 1 (an empty and a transposed input)",
       [](const std::vector<Tensor>& x) {
         return cat({x[0], x[1], x[2]}, 1);
       },
       {{{{3, 5}}, {{3, 0}}, {{3, 7}, true}}, {{{300, 200}}, {{300, 1}}, {{300, 3}}}},
       0,
       0,
       true},
      {"cat dim 0",
       [](const std::vector<Tensor>& x) {
         return cat({x[0], x[1]}, 0);
       },
       {{{{2, 4, 3}}, {{5, 4, 3}}}},
       0,
       0,
       true},
      {"cat of i64 data (dims 0 and 1, an empty input)",
       [](const std::vector<Tensor>& x) {
         return cat({cat({x[0], x[1]}, 0), cat({x[2], x[2]}, 1)}, 0);
       },
       {{{{2, 6}, false, Values::small_ints},
         {{0, 6}, false, Values::small_ints},
         {{300, 3}, true, Values::small_ints}}},
       0,
       0,
       false},
      {"stack dim 1",
       [](const std::vector<Tensor>& x) {
         return stack({x[0], x[1], x[2]}, 1);
       },
       {{{{3, 4}}, {{3, 4}, true}, {{3, 4}}}},
       0,
       0,
       true},
      {"pad (grow and crop)",
       [](const std::vector<Tensor>& x) {
         return pad(x[0], {1, 2, -1, 3}, 0.5);
       },
       {{{{2, 3, 5, 7}}}, {{{2, 3, 5, 7}, true}}},
       0,
       0,
       true},
      {"pad 1-d, many blocks",
       [](const std::vector<Tensor>& x) {
         return pad(x[0], {3, -2});
       },
       {{{{7}}}, {{{70001}}}},
       0,
       0,
       true},
  };
  run_table(table);
}

TEST(CudaOpTable, Detection) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const BoxWeights rpn{1, 1, 1, 1}, head{10, 10, 5, 5};
  std::vector<Case> table = {
      {"box_iou",
       [](const std::vector<Tensor>& x) { return box_iou(boxes_from(x[0]), boxes_from(x[1])); },
       {{{{37, 4}, false, Values::positive}, {{45, 4}, false, Values::positive}},
        {{{0, 4}, false, Values::positive}, {{5, 4}, false, Values::positive}}},
       0,
       0,
       false},
      {"encode_boxes",
       [head](const std::vector<Tensor>& x) {
         return encode_boxes(boxes_from(x[0]), boxes_from(x[1]), head);
       },
       {{{{37, 4}, false, Values::positive}, {{37, 4}, false, Values::positive}}},
       1e-5,
       1e-5,
       false},
      {"decode_boxes (clamped dw, dh)",
       [rpn, head](const std::vector<Tensor>& x) {
         const Tensor boxes = boxes_from(x[1]);
         return add(decode_boxes(x[0], boxes, head), decode_boxes(mul(x[0], 3.0), boxes, rpn, 1.0));
       },
       {{{{37, 12}}, {{37, 4}, false, Values::positive}}, {{{0, 4}}, {{0, 4}}}},
       1e-5,
       1e-5,
       true},
      {"nms / batched_nms",
       [](const std::vector<Tensor>& x) {
         const Tensor boxes = boxes_from(x[0]), scores = x[1];
         std::vector<std::int64_t> group_ids;
         for (std::int64_t i = 0; i < 100; ++i) group_ids.push_back(i % 3);
         const Tensor groups = indices_like(group_ids, {100}, x[0]);
         return cat({nms(boxes, scores, 0.3), nms(boxes, scores, 0.7),
                     batched_nms(boxes, scores, groups, 0.3)},
                    0);
       },
       {{{{100, 4}, false, Values::positive}, {{100}}}},
       0,
       0,
       false},
      {"fpn_level_assignment (inverted boxes too)",
       [](const std::vector<Tensor>& x) {
         return fpn_level_assignment(mul(boxes_from(x[0]), 40.0), 2, 5);
       },
       {{{{200, 4}}}, {{{0, 4}}}},
       0,
       0,
       false},
      {"clip_boxes_to_image",
       [](const std::vector<Tensor>& x) {
         return clip_boxes_to_image(add(mul(x[0], 30.0), -5.0), 17.0, 23.0);
       },
       {{{{40, 4}}}, {{{3, 5, 4}}}, {{{0, 4}}}},
       0,
       0,
       true},
      {"remove_small_boxes",
       [](const std::vector<Tensor>& x) {
         return remove_small_boxes(mul(boxes_from(x[0]), 3.0), 1.5);
       },
       {{{{60, 4}, false, Values::positive}}, {{{0, 4}}}},
       0,
       0,
       false},
      {"nms of no boxes",
       [](const std::vector<Tensor>& x) { return nms(x[0], x[1], 0.5); },
       {{{{0, 4}}, {{0}}}},
       0,
       0,
       false},
  };
  run_table(table);
}

// Parameters on cuda and on the CPU take the same steps with the same gradients.
template <typename MakeOptimizer>
void expect_same_steps(MakeOptimizer make, double tolerance) {
  const Shape shapes[] = {{7, 5}, {300}, {1}};
  std::vector<Tensor> cpu_params, cuda_params;
  for (std::size_t i = 0; i < 3; ++i) {
    Tensor p = cuda_test::random_f32(shapes[i], 50 + i);
    cuda_params.push_back(p.cuda().requires_grad_(true));
    cpu_params.push_back(p.requires_grad_(true));
  }
  auto cpu_opt = make(cpu_params);
  auto cuda_opt = make(cuda_params);
  for (std::uint64_t step = 0; step < 3; ++step) {
    for (std::size_t i = 0; i < 3; ++i) {
      const Tensor g = cuda_test::random_f32(shapes[i], 100 * step + i);
      cpu_params[i].set_grad(g);
      cuda_params[i].set_grad(g.cuda());
    }
    EXPECT_NEAR(optim::clip_grad_norm_(cuda_params, 4.0), optim::clip_grad_norm_(cpu_params, 4.0),
                1e-4);
    cpu_opt.step();
    cuda_opt.step();
  }
  for (std::size_t i = 0; i < 3; ++i)
    cuda_test::expect_matches(cuda_params[i].detach(), cpu_params[i].detach(), tolerance, tolerance,
                              "parameter " + std::to_string(i));
}

TEST(CudaOptimizers, SgdStepsMatchTheCpu) {
  SKIP_WITHOUT_CUDA_BACKEND();
  expect_same_steps(
      [](std::vector<Tensor> p) {
        return optim::SGD(p, {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-2, .nesterov = true});
      },
      1e-5);
  expect_same_steps(
      [](std::vector<Tensor> p) {
        return optim::SGD(p, {.lr = 0.1, .momentum = 0.5, .dampening = 0.3});
      },
      1e-5);
  expect_same_steps([](std::vector<Tensor> p) { return optim::SGD(p, {.lr = 0.2}); }, 1e-5);
}

TEST(CudaOptimizers, AdamWStepsMatchTheCpu) {
  SKIP_WITHOUT_CUDA_BACKEND();
  expect_same_steps([](std::vector<Tensor> p) { return optim::AdamW(p, {.lr = 0.05}); }, 1e-5);
}

TEST(CudaRandom, DrawsMatchTheCpuGenerator) {
  SKIP_WITHOUT_CUDA_BACKEND();
  Generator cpu_gen(1234), cuda_gen(1234);
  for (const Shape& shape : {Shape{7}, Shape{33, 65}, Shape{0}, Shape{70001}}) {
    cuda_test::expect_matches(rand(shape, cuda_gen, {.device = Device::cuda()}),
                              rand(shape, cpu_gen), 0, 0, "rand " + shape_str(shape));
    cuda_test::expect_matches(randn(shape, cuda_gen, {.device = Device::cuda()}),
                              randn(shape, cpu_gen), 1e-6, 1e-6, "randn " + shape_str(shape));
  }
  for (DType dtype : {DType::i64, DType::i32, DType::f32})
    for (const Shape& shape : {Shape{7}, Shape{0}, Shape{333, 11}})
      cuda_test::expect_matches(
          randint(-5, 1000, shape, cuda_gen, {.dtype = dtype, .device = Device::cuda()}),
          randint(-5, 1000, shape, cpu_gen, {.dtype = dtype}), 0, 0,
          std::string("randint ") + dtype_name(dtype) + " " + shape_str(shape));
  // A non-contiguous cuda tensor is drawn in its logical order, as on the CPU.
  Tensor cuda_t = empty({65, 33}, {.device = Device::cuda()}).t();
  Tensor cpu_t = empty({65, 33}).t();
  uniform_(cuda_t, -2.0, 3.0, cuda_gen);
  uniform_(cpu_t, -2.0, 3.0, cpu_gen);
  cuda_test::expect_matches(cuda_t, cpu_t, 0, 0, "uniform_ on a transposed tensor");
  normal_(cuda_t, 1.0, 0.5, cuda_gen);
  normal_(cpu_t, 1.0, 0.5, cpu_gen);
  cuda_test::expect_matches(cuda_t, cpu_t, 1e-6, 1e-6, "normal_ on a transposed tensor");
}

}  // namespace
