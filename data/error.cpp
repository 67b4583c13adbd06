// Errors and warnings of the data layer (see error.h).
// Warnings are echoed to stderr with a cap so a bad data set does not flood the log.
#include "data/error.h"

#include <iostream>

namespace data {

DataError::DataError(std::string file, std::string problem)
    : std::runtime_error(file + ": " + problem),
      file_(std::move(file)),
      problem_(std::move(problem)) {}

void Diagnostics::warn(const std::string& file, const std::string& problem) {
  warnings.push_back(file + ": " + problem);
  if (!echo) return;
  if (warnings.size() <= max_echo) {
    std::cerr << "data: warning: " << warnings.back() << "\n";
  } else if (warnings.size() == max_echo + 1) {
    std::cerr << "data: warning: further warnings suppressed (see Diagnostics::warnings)\n";
  }
}

void Diagnostics::merge(const Diagnostics& other) {
  clipped_boxes += other.clipped_boxes;
  dropped_boxes += other.dropped_boxes;
  warnings.insert(warnings.end(), other.warnings.begin(), other.warnings.end());
}

}  // namespace data
