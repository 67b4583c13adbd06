// 8-bit RGB images and their file formats: JPEG/PNG in (stb_image), PNG/JPEG out
// (stb_image_write). Grey, grey+alpha and RGBA inputs are converted to RGB (alpha is dropped).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace data {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // [H, W, 3] RGB, row-major

  Image() = default;
  Image(int width, int height);  // black image; throws std::invalid_argument on sizes <= 0
  std::uint8_t* row(int y) { return pixels.data() + static_cast<std::size_t>(y) * width * 3; }
  const std::uint8_t* row(int y) const {
    return pixels.data() + static_cast<std::size_t>(y) * width * 3;
  }
  std::uint8_t* at(int x, int y) { return row(y) + 3 * x; }
  const std::uint8_t* at(int x, int y) const { return row(y) + 3 * x; }
};

struct ImageSize {
  int width = 0;
  int height = 0;
};

// Largest image accepted, in pixels (guards against hostile headers asking for gigabytes).
inline constexpr std::int64_t kMaxImagePixels = std::int64_t{1} << 26;

// Decodes an encoded image held in memory; `name` is used in error messages.
Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name);
Image load_image(const std::string& path);
// Reads only the header (no pixel decode): what the VOC->COCO converter needs.
ImageSize read_image_size(const std::string& path);
ImageSize decode_image_size(std::span<const std::uint8_t> bytes, const std::string& name);

std::vector<std::uint8_t> encode_png(const Image& image);
std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality = 90);
// Saves by extension: .png or .jpg/.jpeg (anything else is an error).
void save_image(const Image& image, const std::string& path, int jpeg_quality = 90);

}  // namespace data
