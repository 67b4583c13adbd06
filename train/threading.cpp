// Re-exec with a passive OpenMP wait policy and single-threaded OpenBLAS (measured on the 2-core
// VM, shapes training: 1.05 img/s by default, 1.71 img/s with both), unless the user chose.
#include "train/threading.h"

#include <unistd.h>

#include <cstdlib>

namespace train {

void configure_threads(char** argv) {
  bool changed = false;
  if (std::getenv("OMP_WAIT_POLICY") == nullptr)
    changed |= setenv("OMP_WAIT_POLICY", "passive", 0) == 0;
  if (std::getenv("OPENBLAS_NUM_THREADS") == nullptr)
    changed |= setenv("OPENBLAS_NUM_THREADS", "1", 0) == 0;
  if (changed) execv("/proc/self/exe", argv);  // only returns on failure: then run as we are
}

}  // namespace train
