// What a kernels/cuda source compiled by g++ sees instead of <cuda_runtime.h>: the SIMT emulator's
// CUDA-compatible subset (qualifiers, built-ins, barriers, warp collectives, atomics, math, runtime).
#pragma once

#include <cmath>

#include "kernels/simt/atomics.h"
#include "kernels/simt/builtins.h"
#include "kernels/simt/error.h"
#include "kernels/simt/fp16.h"
#include "kernels/simt/intrinsics.h"
#include "kernels/simt/launch.h"
#include "kernels/simt/qualifiers.h"
#include "kernels/simt/runtime.h"
#include "kernels/simt/shared.h"
#include "kernels/simt/sync.h"
#include "kernels/simt/types.h"
#include "kernels/simt/warp.h"
