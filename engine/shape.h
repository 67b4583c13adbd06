// Shapes and strides (element counts, not bytes) and the rules that relate them: element count,
// contiguous strides, PyTorch broadcasting, dim wrapping and readable printing for messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace engine {

using Shape = std::vector<std::int64_t>;

std::int64_t numel(const Shape& shape);
Shape contiguous_strides(const Shape& shape);
std::string shape_str(const Shape& shape);  // "[2, 3, 4]"

// Wraps a possibly negative dim into [0, rank); throws naming the op when out of range.
std::int64_t wrap_dim(std::int64_t dim, std::int64_t rank, const char* op);

// PyTorch broadcasting of two shapes; throws naming both shapes when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Strides that read a tensor of (shape, strides) as if it had out_shape (stride 0 on broadcast
// dims and on the leading dims it lacks). out_shape must be a broadcast of shape.
Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& out_shape);

}  // namespace engine
