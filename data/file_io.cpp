// Whole-file reads and writes with errors that name the file (see file_io.h).
// Writes go through a temporary file and a rename so a crash never leaves a half-written file.
#include "data/file_io.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "data/error.h"

namespace data {

namespace {

std::string open_problem(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

void check_regular_file(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw DataError(path, "file not found");
  if (std::filesystem::is_directory(status))
    throw DataError(path, "is a directory, expected a file");
}

}  // namespace

std::vector<std::uint8_t> read_file_bytes(const std::string& path) {
  check_regular_file(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, open_problem("cannot open for reading"));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (in.bad()) throw DataError(path, open_problem("read failed"));
  return bytes;
}

std::string read_text_file(const std::string& path) {
  auto bytes = read_file_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

void write_file(const std::string& path, std::span<const std::uint8_t> bytes) {
  write_text_file(path,
                  std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void write_text_file(const std::string& path, std::string_view text) {
  std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) throw DataError(path, "cannot create parent folder: " + ec.message());
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw DataError(path, open_problem("cannot open for writing"));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) throw DataError(path, open_problem("write failed"));
  }
  std::filesystem::rename(tmp, target, ec);
  if (ec) throw DataError(path, "cannot rename temporary file into place: " + ec.message());
}

std::optional<double> parse_number(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0.0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

}  // namespace data
