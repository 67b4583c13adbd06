// Number parsing of flag values (see flags.h): the whole string must be a number in range.
#include "train/flags.h"

#include <stdexcept>

namespace train {

long long to_integer(const std::string& flag, const std::string& v, long long lo, long long hi) {
  try {
    std::size_t used = 0;
    const long long x = std::stoll(v, &used);
    if (used == v.size() && x >= lo && x <= hi) return x;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument("--" + flag + ": expected an integer in [" + std::to_string(lo) +
                              ", " + std::to_string(hi) + "], got '" + v + "'");
}

double to_real(const std::string& flag, const std::string& v, double lo, double hi) {
  try {
    std::size_t used = 0;
    const double x = std::stod(v, &used);
    if (used == v.size() && x >= lo && x <= hi) return x;
  } catch (const std::exception&) {
  }
  std::ostringstream msg;
  msg << "--" << flag << ": expected a number in [" << lo << ", " << hi << "], got '" << v << "'";
  throw std::invalid_argument(msg.str());
}

std::string show_real(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace train
