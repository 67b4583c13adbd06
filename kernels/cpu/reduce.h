// CPU reductions over any set of dims: sum, mean, max, min, logsumexp and var (with a
// correction), plus value-and-index reductions along one dim (max/min with argmax/argmin).
#pragma once

#include <vector>

#include "engine/op_kinds.h"
#include "engine/tensor.h"

namespace kernels::cpu {

// out has x's shape with the reduced dims set to 1 (keepdim form); dims sorted and unique.
// Floating sums accumulate in double. correction is used by var only (1 = unbiased).
void reduce(engine::ReduceOp op,
            const engine::Tensor& x,
            const std::vector<std::int64_t>& dims,
            const engine::Tensor& out,
            std::int64_t correction = 1);

// values/indices have x's shape with dim set to 1; first index wins on ties (as PyTorch's CPU).
// NaN counts as the largest (and smallest) value, so it propagates.
void arg_reduce(bool is_max,
                const engine::Tensor& x,
                std::int64_t dim,
                const engine::Tensor& values,
                const engine::Tensor& indices);

}  // namespace kernels::cpu
