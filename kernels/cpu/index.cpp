// CPU indexing kernels. Work is split into lanes that never write the same element (all
// coordinates but `dim` fixed), so the accumulating kernels are race-free without atomics.
#include "kernels/cpu/index.h"

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

std::int64_t prod(const Tensor& t, std::int64_t from, std::int64_t to) {
  std::int64_t n = 1;
  for (std::int64_t d = from; d < to; ++d) n *= t.size(d);
  return n;
}

// Lanes over index's shape with `dim` removed; for each lane, the element offsets of the
// lane's first element in index (contiguous), in src (contiguous, index's shape) and in the
// other tensor (x or out, contiguous, may be larger than index in the non-dim dims).
template <typename Body>
void for_each_lane(const Tensor& index, const Tensor& other, std::int64_t dim, Body body) {
  const std::int64_t rank = index.dim();
  const std::int64_t lanes = index.size(dim) == 0 ? 0 : index.numel() / index.size(dim);
  const engine::Shape other_strides = engine::contiguous_strides(other.shape());
  const engine::Shape index_strides = engine::contiguous_strides(index.shape());
  parallel_for(lanes, index.size(dim), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t lane = begin; lane < end; ++lane) {
      std::int64_t rem = lane, index_offset = 0, other_offset = 0;
      for (std::int64_t d = rank; d-- > 0;) {
        if (d == dim) continue;
        const std::int64_t i = rem % index.size(d);
        rem /= index.size(d);
        index_offset += i * index_strides[d];
        other_offset += i * other_strides[d];
      }
      body(index_offset, index_strides[dim], other_offset, other_strides[dim]);
    }
  });
}

}  // namespace

void index_select(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) {
  const std::int64_t outer = prod(x, 0, dim), n = x.size(dim), inner = prod(x, dim + 1, x.dim());
  const std::int64_t m = index.numel();
  engine::dispatch_all(x.dtype(), "index_select", [&](auto tag) {
    using T = decltype(tag);
    engine::dispatch_index(index.dtype(), "index_select", [&](auto itag) {
      using I = decltype(itag);
      const T* xp = static_cast<const T*>(x.raw_data());
      T* op = static_cast<T*>(out.raw_data());
      const I* ip = index.data_ptr<I>();
      parallel_for(outer * m, inner, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) {
          const std::int64_t o = r / m, j = r % m;
          const T* src = xp + (o * n + static_cast<std::int64_t>(ip[j])) * inner;
          std::copy(src, src + inner, op + r * inner);
        }
      });
    });
  });
}

void index_add(const Tensor& out, std::int64_t dim, const Tensor& index, const Tensor& src) {
  const std::int64_t outer = prod(out, 0, dim), n = out.size(dim),
                     inner = prod(out, dim + 1, out.dim());
  const std::int64_t m = index.numel();
  engine::dispatch_number(out.dtype(), "index_add", [&](auto tag) {
    using T = decltype(tag);
    engine::dispatch_index(index.dtype(), "index_add", [&](auto itag) {
      using I = decltype(itag);
      T* op = static_cast<T*>(out.raw_data());
      const T* sp = static_cast<const T*>(src.raw_data());
      const I* ip = index.data_ptr<I>();
      parallel_for(outer * inner, m, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t lane = begin; lane < end; ++lane) {
          const std::int64_t o = lane / inner, i = lane % inner;
          for (std::int64_t j = 0; j < m; ++j)
            op[(o * n + static_cast<std::int64_t>(ip[j])) * inner + i] +=
                sp[(o * m + j) * inner + i];
        }
      });
    });
  });
}

void gather(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& out) {
  engine::dispatch_all(x.dtype(), "gather", [&](auto tag) {
    using T = decltype(tag);
    engine::dispatch_index(index.dtype(), "gather", [&](auto itag) {
      using I = decltype(itag);
      const T* xp = static_cast<const T*>(x.raw_data());
      T* op = static_cast<T*>(out.raw_data());
      const I* ip = index.data_ptr<I>();
      for_each_lane(index, x, dim,
                    [&](std::int64_t io, std::int64_t is, std::int64_t xo, std::int64_t xs) {
                      for (std::int64_t j = 0; j < index.size(dim); ++j)
                        op[io + j * is] = xp[xo + static_cast<std::int64_t>(ip[io + j * is]) * xs];
                    });
    });
  });
}

void scatter_add(const Tensor& out, std::int64_t dim, const Tensor& index, const Tensor& src) {
  engine::dispatch_number(out.dtype(), "scatter_add", [&](auto tag) {
    using T = decltype(tag);
    engine::dispatch_index(index.dtype(), "scatter_add", [&](auto itag) {
      using I = decltype(itag);
      T* op = static_cast<T*>(out.raw_data());
      const T* sp = static_cast<const T*>(src.raw_data());
      const I* ip = index.data_ptr<I>();
      for_each_lane(index, out, dim,
                    [&](std::int64_t io, std::int64_t is, std::int64_t oo, std::int64_t os) {
                      for (std::int64_t j = 0; j < index.size(dim); ++j)
                        op[oo + static_cast<std::int64_t>(ip[io + j * is]) * os] += sp[io + j * is];
                    });
    });
  });
}

void one_hot(const Tensor& index, std::int64_t classes, const Tensor& out) {
  engine::dispatch_index(index.dtype(), "one_hot", [&](auto itag) {
    using I = decltype(itag);
    const I* ip = index.data_ptr<I>();
    std::int64_t* op = out.data_ptr<std::int64_t>();
    parallel_for(index.numel(), classes, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i)
        for (std::int64_t c = 0; c < classes; ++c) op[i * classes + c] = ip[i] == c;
    });
  });
}

}  // namespace kernels::cpu
