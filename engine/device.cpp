// Parsing and printing of device names ("cpu", "cuda", "cuda:N").
// Bad names are errors that list what is accepted.
#include "engine/device.h"

#include "engine/error.h"

namespace engine {

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.rfind("cuda:", 0) == 0 && text.size() > 5) {
    const std::string digits = text.substr(5);
    ENGINE_CHECK(digits.size() <= 3 && digits.find_first_not_of("0123456789") == std::string::npos,
                 "bad device '", text, "': expected cpu, cuda or cuda:N");
    return cuda(std::stoi(digits));
  }
  ENGINE_FAIL("bad device '", text, "': expected cpu, cuda or cuda:N");
}

std::string Device::str() const {
  return is_cpu() ? "cpu" : "cuda:" + std::to_string(index);
}

}  // namespace engine
