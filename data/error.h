// Errors and warnings of the data layer: every message names the file and the problem.
// DataError is thrown for bad input; Diagnostics counts and reports problems that are repaired.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace data {

// Thrown for input that cannot be used. what() is "<file>: <problem>".
class DataError : public std::runtime_error {
 public:
  DataError(std::string file, std::string problem);
  const std::string& file() const { return file_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_;
  std::string problem_;
};

// Repairs made while reading (boxes clipped to the image, degenerate boxes dropped), counted
// and warned about. Warnings go to stderr (the first max_echo of them) unless echo is false.
struct Diagnostics {
  int clipped_boxes = 0;
  int dropped_boxes = 0;
  std::vector<std::string> warnings;
  bool echo = true;
  std::size_t max_echo = 20;

  void warn(const std::string& file, const std::string& problem);
  void merge(const Diagnostics& other);  // adds counts and warnings (does not echo again)
};

}  // namespace data
