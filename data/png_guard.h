// A pre-pass for PNG input that stb_image 2.27 (Debian 12) mishandles: a zero-length IDAT chunk
// before any image data makes it memcpy into a null buffer (undefined behaviour; fuzz/fuzz_image).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace data::detail {

// The file without its zero-length IDAT chunks (they carry no data, so the image is unchanged);
// nullopt when there are none or the bytes are not a PNG. A malformed chunk list is left to stb.
std::optional<std::vector<std::uint8_t>> without_empty_png_data_chunks(
    std::span<const std::uint8_t> bytes);

}  // namespace data::detail
