// Process-level threading set-up for the CPU backend: OpenMP threads must not spin while
// OpenBLAS runs (2 cores), which libgomp only accepts through its environment at start-up.
#pragma once

namespace train {

// If OMP_WAIT_POLICY / OPENBLAS_NUM_THREADS are unset, sets them (passive; 1) and re-executes the
// program so that the runtimes read them; returns normally when nothing had to change.
void configure_threads(char** argv);

}  // namespace train
