// Error type and check macros of the engine: every failed check throws engine::Error with a
// message that says what was wrong, where, and (where it can) what to do about it.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace engine {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
[[noreturn]] void throw_error(const char* file, int line, const std::string& message);
}  // namespace detail

}  // namespace engine

// ENGINE_CHECK(cond, "message parts", value, ...): throws engine::Error naming file:line.
#define ENGINE_CHECK(cond, ...)                                                                 \
  do {                                                                                          \
    if (!(cond))                                                                                \
      ::engine::detail::throw_error(__FILE__, __LINE__, ::engine::detail::concat(__VA_ARGS__)); \
  } while (0)

#define ENGINE_FAIL(...) \
  ::engine::detail::throw_error(__FILE__, __LINE__, ::engine::detail::concat(__VA_ARGS__))
