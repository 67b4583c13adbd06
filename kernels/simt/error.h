// The SIMT emulator's exception: every misuse of the CUDA execution model (bad launch
// configuration, barrier deadlock, out-of-bounds shared memory, ...) throws simt::Error.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace kernels::simt {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream out;
  out << "simt: ";
  (out << ... << parts);
  throw Error(out.str());
}
}  // namespace detail

}  // namespace kernels::simt
