// CPU sorting and selection kernels. Sorting uses a total order (value, then index), so plain
// std::sort / std::partial_sort give PyTorch's stable order and deterministic top-k ties.
#include "kernels/cpu/select.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "engine/dispatch.h"
#include "kernels/cpu/loops.h"

namespace kernels::cpu {

using engine::Tensor;

namespace {

// a < b with NaN above every number (and equal to itself).
template <typename T>
bool less_nan_last(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

std::int64_t prod(const engine::Shape& s, std::size_t from, std::size_t to) {
  std::int64_t n = 1;
  for (std::size_t d = from; d < to; ++d) n *= s[d];
  return n;
}

}  // namespace

void sort(const Tensor& x,
          std::int64_t dim,
          bool descending,
          const Tensor& values_out,
          const Tensor& indices_out) {
  const auto d = static_cast<std::size_t>(dim);
  const std::int64_t outer = prod(x.shape(), 0, d), n = x.size(dim),
                     inner = prod(x.shape(), d + 1, x.shape().size());
  const std::int64_t k = values_out.size(dim);
  engine::dispatch_number(x.dtype(), "sort", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data_ptr<T>();
    T* vp = values_out.data_ptr<T>();
    std::int64_t* ip = indices_out.data_ptr<std::int64_t>();
    using Item = std::pair<T, std::int64_t>;
    const auto before = [descending](const Item& a, const Item& b) {
      const bool lt =
          descending ? less_nan_last(b.first, a.first) : less_nan_last(a.first, b.first);
      if (lt) return true;
      const bool gt =
          descending ? less_nan_last(a.first, b.first) : less_nan_last(b.first, a.first);
      return !gt && a.second < b.second;
    };
    const double log_n = std::log2(static_cast<double>(std::max<std::int64_t>(n, 2)));
    parallel_for(outer * inner, static_cast<std::int64_t>(static_cast<double>(n) * log_n * 4),
                 [&](std::int64_t begin, std::int64_t end) {
                   std::vector<Item> items(static_cast<std::size_t>(n));
                   for (std::int64_t lane = begin; lane < end; ++lane) {
                     const std::int64_t o = lane / inner, i = lane % inner;
                     for (std::int64_t j = 0; j < n; ++j)
                       items[static_cast<std::size_t>(j)] = {xp[(o * n + j) * inner + i], j};
                     if (k == n)
                       std::sort(items.begin(), items.end(), before);
                     else
                       std::partial_sort(items.begin(), items.begin() + k, items.end(), before);
                     for (std::int64_t j = 0; j < k; ++j) {
                       vp[(o * k + j) * inner + i] = items[static_cast<std::size_t>(j)].first;
                       ip[(o * k + j) * inner + i] = items[static_cast<std::size_t>(j)].second;
                     }
                   }
                 });
  });
}

Tensor nonzero(const Tensor& x) {
  const std::int64_t rank = x.dim();
  std::vector<std::int64_t> flat;
  engine::dispatch_all(x.dtype(), "nonzero", [&](auto tag) {
    using T = decltype(tag);
    const T* p = static_cast<const T*>(x.raw_data());
    for (std::int64_t i = 0; i < x.numel(); ++i)
      if (p[i] != T(0)) flat.push_back(i);
  });
  Tensor out =
      engine::empty({static_cast<std::int64_t>(flat.size()), rank}, {.dtype = engine::DType::i64});
  std::int64_t* op = out.data_ptr<std::int64_t>();
  for (std::size_t r = 0; r < flat.size(); ++r) {
    std::int64_t rem = flat[r];
    for (std::int64_t d = rank; d-- > 0;) {
      op[static_cast<std::int64_t>(r) * rank + d] = rem % x.size(d);
      rem /= x.size(d);
    }
  }
  return out;
}

void put_slices(const Tensor& out, const Tensor& offsets, const Tensor& values, bool accumulate) {
  const std::int64_t m = values.size(0), s = values.size(1);
  const std::int64_t* off = offsets.data_ptr<std::int64_t>();
  engine::dispatch_all(out.dtype(), "index_put", [&](auto tag) {
    using T = decltype(tag);
    T* op = static_cast<T*>(out.raw_data());
    const T* vp = static_cast<const T*>(values.raw_data());
    // Threads own slice positions, so repeated offsets never race and the last write wins.
    parallel_for(s, m, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t j = 0; j < m; ++j)
        for (std::int64_t i = begin; i < end; ++i) {
          if constexpr (std::is_same_v<T, bool>) {
            op[off[j] + i] = accumulate ? (op[off[j] + i] || vp[j * s + i]) : vp[j * s + i];
          } else {
            op[off[j] + i] =
                accumulate ? static_cast<T>(op[off[j] + i] + vp[j * s + i]) : vp[j * s + i];
          }
        }
    });
  });
}

void take_slices(const Tensor& src, const Tensor& offsets, const Tensor& out) {
  const std::int64_t m = out.size(0), s = out.size(1);
  const std::int64_t* off = offsets.data_ptr<std::int64_t>();
  engine::dispatch_all(src.dtype(), "take_slices", [&](auto tag) {
    using T = decltype(tag);
    const T* sp = static_cast<const T*>(src.raw_data());
    T* op = static_cast<T*>(out.raw_data());
    parallel_for(m, s, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t j = begin; j < end; ++j)
        std::copy(sp + off[j], sp + off[j] + s, op + j * s);
    });
  });
}

Tensor repeat_index(const Tensor& repeats) {
  const std::int64_t* rp = repeats.data_ptr<std::int64_t>();
  std::int64_t total = 0;
  for (std::int64_t i = 0; i < repeats.numel(); ++i) total += rp[i];
  Tensor out = engine::empty({total}, {.dtype = engine::DType::i64});
  std::int64_t* op = out.data_ptr<std::int64_t>();
  for (std::int64_t i = 0, w = 0; i < repeats.numel(); ++i)
    for (std::int64_t r = 0; r < rp[i]; ++r) op[w++] = i;
  return out;
}

}  // namespace kernels::cpu
