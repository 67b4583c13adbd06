// map_elements<Out, In...>(out, {inputs}, f): out[i] = f(in0[i], in1[i], ...) over out's shape,
// inputs broadcast by stride 0. Contiguous rows get a plain loop the compiler vectorises.
#pragma once

#include <tuple>
#include <utility>

#include "kernels/cpu/loops.h"

namespace kernels::cpu {

template <typename Out, typename... In, typename F>
void map_elements(const engine::Tensor& out,
                  const std::array<engine::Tensor, sizeof...(In)>& ins,
                  F f) {
  constexpr std::size_t K = 1 + sizeof...(In);
  std::array<engine::Shape, K> strides;
  strides[0] = out.strides();
  for (std::size_t i = 0; i < sizeof...(In); ++i)
    strides[i + 1] = engine::broadcast_strides(ins[i].shape(), ins[i].strides(), out.shape());
  if (out.numel() == 0) return;
  const StridedGeometry<K> geometry(out.shape(), strides);
  Out* out_base = static_cast<Out*>(out.raw_data());
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    const std::tuple<const In*...> in_base{static_cast<const In*>(ins[I].raw_data())...};
    strided_rows(geometry, [&](const std::array<std::int64_t, K>& off,
                               const std::array<std::int64_t, K>& step, std::int64_t n) {
      Out* o = out_base + off[0];
      const std::tuple<const In*...> in{std::get<I>(in_base) + off[I + 1]...};
      if (((step[0] == 1) && ... && (step[I + 1] == 1))) {
        for (std::int64_t j = 0; j < n; ++j) o[j] = f(std::get<I>(in)[j]...);
      } else {
        for (std::int64_t j = 0; j < n; ++j)
          o[j * step[0]] = f(std::get<I>(in)[j * step[I + 1]]...);
      }
    });
  }
  (std::index_sequence_for<In...>{});
}

}  // namespace kernels::cpu
