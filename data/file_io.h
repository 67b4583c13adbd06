// Whole-file reads and writes with errors that name the file (DataError).
// Also number parsing that rejects trailing junk, NaN and infinity.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace data {

std::vector<std::uint8_t> read_file_bytes(const std::string& path);
std::string read_text_file(const std::string& path);
void write_file(const std::string& path, std::span<const std::uint8_t> bytes);
void write_text_file(const std::string& path, std::string_view text);

// A finite decimal number filling the whole string (surrounding whitespace allowed), else nullopt.
std::optional<double> parse_number(std::string_view text);

}  // namespace data
