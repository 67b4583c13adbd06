// Helpers shared by the data-layer tests (see test_util.h).
// Temporary folders live under the system temp dir, named by process id and a counter.
#include "test_util.h"

#include <unistd.h>

#include <atomic>

#include "data/file_io.h"

namespace data::test {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("dreambox_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& contents) const {
  std::string p = file(name);
  write_text_file(p, contents);
  return p;
}

}  // namespace data::test
