// DEVICE_KERNEL(tensor, kernel(args...)): runs engine::cuda_backend::kernel(args...) when `tensor`
// is on cuda, else kernels::cpu::kernel(args...); the backend mirrors the CPU kernels' signatures.
#pragma once

#include "engine/cuda_backend.h"

#define DEVICE_KERNEL(tensor, call)  \
  do {                               \
    if ((tensor).device().is_cuda()) \
      ::engine::cuda_backend::call;  \
    else                             \
      ::kernels::cpu::call;          \
  } while (0)
