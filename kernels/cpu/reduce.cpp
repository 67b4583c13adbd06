// CPU reductions: each output element walks its reduced sub-space through a visitor, so one
// skeleton serves every reduction (two-pass ones such as logsumexp and var visit twice).
#include "kernels/cpu/reduce.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

using engine::ReduceOp;
using engine::Shape;
using engine::Tensor;

namespace {

// Splits x's dims into kept (outputs) and reduced ones; both coalesced for speed.
struct ReduceGeometry {
  Shape kept_shape, kept_strides, red_shape, red_strides;
  std::int64_t outputs = 1, reduced = 1;

  ReduceGeometry(const Tensor& x, const std::vector<std::int64_t>& dims) {
    std::vector<bool> is_reduced(x.dim(), false);
    for (auto d : dims) is_reduced[d] = true;
    for (std::int64_t d = 0; d < x.dim(); ++d) {
      Shape& shape = is_reduced[d] ? red_shape : kept_shape;
      Shape& strides = is_reduced[d] ? red_strides : kept_strides;
      shape.push_back(x.size(d));
      strides.push_back(x.stride(d));
    }
    outputs = engine::numel(kept_shape);
    reduced = engine::numel(red_shape);
    if (red_shape.empty()) {
      red_shape.push_back(1);
      red_strides.push_back(0);
    }
  }

  std::int64_t kept_offset(std::int64_t index) const {
    std::int64_t offset = 0;
    for (std::size_t d = kept_shape.size(); d-- > 0;) {
      offset += (index % kept_shape[d]) * kept_strides[d];
      index /= kept_shape[d];
    }
    return offset;
  }

  // Calls f(value, reduced_index) for every reduced element under base, in row-major order.
  template <typename T, typename F>
  void visit(const T* base, F&& f) const {
    const std::size_t rank = red_shape.size();
    const std::int64_t inner = red_shape[rank - 1], inner_stride = red_strides[rank - 1];
    for (std::int64_t row = 0; row < reduced / inner; ++row) {
      std::int64_t offset = 0, rem = row;
      for (std::size_t d = rank - 1; d-- > 0;) {
        offset += (rem % red_shape[d]) * red_strides[d];
        rem /= red_shape[d];
      }
      const T* p = base + offset;
      for (std::int64_t j = 0; j < inner; ++j) f(p[j * inner_stride], row * inner + j);
    }
  }
};

template <typename T>
using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;

template <typename T>
T reduce_one(ReduceOp op, const ReduceGeometry& g, const T* base, std::int64_t correction) {
  using A = Acc<T>;
  switch (op) {
    case ReduceOp::sum:
    case ReduceOp::mean: {
      A acc = 0;
      g.visit(base, [&](T v, std::int64_t) { acc += v; });
      if (op == ReduceOp::mean) return static_cast<T>(static_cast<double>(acc) / g.reduced);
      return static_cast<T>(acc);
    }
    case ReduceOp::max:
    case ReduceOp::min: {
      const bool is_max = op == ReduceOp::max;
      T best = base[0];
      g.visit(base, [&](T v, std::int64_t) {
        if (v != v || (best == best && (is_max ? v > best : v < best))) best = v;
      });
      return best;
    }
    case ReduceOp::logsumexp: {
      double peak = -std::numeric_limits<double>::infinity();
      g.visit(base, [&](T v, std::int64_t) { peak = std::max<double>(peak, v); });
      if (std::isinf(peak)) return static_cast<T>(peak);  // all -inf (or +inf present)
      double acc = 0;
      g.visit(base, [&](T v, std::int64_t) { acc += std::exp(static_cast<double>(v) - peak); });
      return static_cast<T>(peak + std::log(acc));
    }
    case ReduceOp::var: {
      double mean = 0, ssd = 0;
      g.visit(base, [&](T v, std::int64_t) { mean += v; });
      mean /= static_cast<double>(g.reduced);
      g.visit(base, [&](T v, std::int64_t) { ssd += (v - mean) * (v - mean); });
      const double dof = static_cast<double>(g.reduced - correction);
      return static_cast<T>(dof > 0 ? ssd / dof : std::numeric_limits<double>::quiet_NaN());
    }
    default:
      return T(0);
  }
}

}  // namespace

void reduce(ReduceOp op,
            const Tensor& x,
            const std::vector<std::int64_t>& dims,
            const Tensor& out,
            std::int64_t correction) {
  const ReduceGeometry g(x, dims);
  auto body = [&](auto tag) {
    using T = decltype(tag);
    const T* xp = static_cast<const T*>(x.raw_data());
    T* op_out = static_cast<T*>(out.raw_data());  // out is contiguous, kept dims in order
    parallel_for(g.outputs, g.reduced, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t o = begin; o < end; ++o)
        op_out[o] = g.reduced == 0 ? T(0) : reduce_one<T>(op, g, xp + g.kept_offset(o), correction);
    });
  };
  if (op == ReduceOp::sum || op == ReduceOp::max || op == ReduceOp::min)
    engine::dispatch_number(x.dtype(), engine::op_name(op), body);
  else
    engine::dispatch_float(x.dtype(), engine::op_name(op), body);
}

void arg_reduce(
    bool is_max, const Tensor& x, std::int64_t dim, const Tensor& values, const Tensor& indices) {
  const ReduceGeometry g(x, {dim});
  engine::dispatch_number(x.dtype(), is_max ? "max" : "min", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = static_cast<const T*>(x.raw_data());
    T* vp = static_cast<T*>(values.raw_data());
    std::int64_t* ip = indices.data_ptr<std::int64_t>();
    parallel_for(g.outputs, g.reduced, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t o = begin; o < end; ++o) {
        const T* base = xp + g.kept_offset(o);
        T best = base[0];
        std::int64_t best_index = 0;
        g.visit(base, [&](T v, std::int64_t i) {
          if (best != best) return;  // a NaN already won
          if (v != v || (is_max ? v > best : v < best)) {
            best = v;
            best_index = i;
          }
        });
        vp[o] = best;
        ip[o] = best_index;
      }
    });
  });
}

}  // namespace kernels::cpu
