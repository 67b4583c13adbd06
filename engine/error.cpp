// Builds the text of engine::Error: the message first (what the user needs), then the source
// location in the engine (what a maintainer needs).
#include "engine/error.h"

namespace engine::detail {

void throw_error(const char* file, int line, const std::string& message) {
  std::string where = file;
  const auto pos = where.find("engine/");
  if (pos != std::string::npos) where = where.substr(pos);
  throw Error(message + " [" + where + ":" + std::to_string(line) + "]");
}

}  // namespace engine::detail
