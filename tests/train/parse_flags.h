// Test helpers for train_dreambox's flags: parse an argument list as the program would, or get
// the message of the std::invalid_argument a bad list raises ("" when it parses).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "train/options.h"

namespace train_test {

inline train::Options parse(std::vector<const char*> args) {
  args.insert(args.begin(), "train_dreambox");
  bool help = false;
  return train::parse_options(static_cast<int>(args.size()), args.data(), help);
}

inline std::string error_of(std::vector<const char*> args) {
  try {
    parse(std::move(args));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace train_test
