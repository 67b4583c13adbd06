// Helpers shared by the data-layer tests: a self-deleting temporary folder and file writers.
// Also EXPECT_DATA_ERROR, which checks that a DataError names the file and the problem.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "data/error.h"

namespace data::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& contents) const;  // returns path

 private:
  std::filesystem::path path_;
};

}  // namespace data::test

// Runs `stmt`, expects a data::DataError whose message contains `file` and `problem`.
#define EXPECT_DATA_ERROR(stmt, file, problem)                                       \
  do {                                                                               \
    try {                                                                            \
      stmt;                                                                          \
      ADD_FAILURE() << "expected a DataError mentioning '" << (problem) << "'";      \
    } catch (const data::DataError& e) {                                             \
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();    \
      EXPECT_NE(std::string(e.what()).find(problem), std::string::npos) << e.what(); \
    }                                                                                \
  } while (0)
