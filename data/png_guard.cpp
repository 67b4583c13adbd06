// Zero-length IDAT removal (see png_guard.h): walks the chunk list (length, type, data, CRC)
// and copies the file without the empty IDAT chunks, which changes neither the pixels nor stb's
// checks.
#include "data/png_guard.h"

#include <cstring>

namespace data::detail {

namespace {

constexpr std::uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
constexpr std::size_t kChunkOverhead = 12;  // 4 length + 4 type + 4 CRC

std::uint32_t big_endian32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

std::optional<std::vector<std::uint8_t>> without_empty_png_data_chunks(
    std::span<const std::uint8_t> b) {
  if (b.size() < sizeof kSignature || std::memcmp(b.data(), kSignature, sizeof kSignature) != 0)
    return std::nullopt;
  std::vector<std::size_t> empty_chunks;  // offsets of zero-length IDAT chunks
  std::size_t pos = sizeof kSignature;
  while (pos + 8 <= b.size()) {
    const std::uint32_t length = big_endian32(b.data() + pos);
    const bool idat = std::memcmp(b.data() + pos + 4, "IDAT", 4) == 0;
    if (idat && length == 0 && pos + kChunkOverhead <= b.size()) empty_chunks.push_back(pos);
    if (std::memcmp(b.data() + pos + 4, "IEND", 4) == 0) break;
    if (length > b.size() - pos - 8) break;  // truncated or corrupt: stb reports it
    pos += kChunkOverhead + length;
  }
  if (empty_chunks.empty()) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(b.size() - empty_chunks.size() * kChunkOverhead);
  std::size_t from = 0;
  for (std::size_t chunk : empty_chunks) {
    out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(from),
               b.begin() + static_cast<std::ptrdiff_t>(chunk));
    from = chunk + kChunkOverhead;
  }
  out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(from), b.end());
  return out;
}

}  // namespace data::detail
