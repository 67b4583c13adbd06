// Image decode/encode through stb_image and stb_image_write (see image.h).
// Every failure becomes a DataError naming the file and stb's reason.
#include "data/image.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <cctype>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "data/error.h"
#include "data/file_io.h"
#include "data/jpeg_guard.h"
#include "data/png_guard.h"
#include "data/stb_probe.h"

namespace data {

namespace {

struct StbiFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

int checked_length(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (bytes.empty()) throw DataError(name, "empty file, not an image");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX))
    throw DataError(name, "file too large (> 2 GiB)");
  return static_cast<int>(bytes.size());
}

ImageSize checked_info(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (std::string problem = detail::check_jpeg_huffman_tables(bytes); !problem.empty())
    throw DataError(name, problem);
  detail::StbProbe probe = detail::stb_probe(bytes.data(), checked_length(bytes, name));
  if (!probe.ok)
    throw DataError(name, std::string("not a readable image: ") +
                              (probe.format == std::string("unknown")
                                   ? ""
                                   : std::string(probe.format) + " header rejected: ") +
                              (probe.reason ? probe.reason : "unknown reason"));
  int w = probe.width, h = probe.height;
  if (w <= 0 || h <= 0)
    throw DataError(name,
                    "image has zero size (" + std::to_string(w) + "x" + std::to_string(h) + ")");
  if (static_cast<std::int64_t>(w) * h > kMaxImagePixels)
    throw DataError(name,
                    "image too large (" + std::to_string(w) + "x" + std::to_string(h) + " pixels)");
  return {w, h};
}

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  auto* p = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

void check_encodable(const Image& image) {
  if (image.width <= 0 || image.height <= 0)
    throw std::invalid_argument("cannot encode an empty image (" + std::to_string(image.width) +
                                "x" + std::to_string(image.height) + ")");
  if (image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3)
    throw std::invalid_argument("image pixel buffer does not match its size");
}

}  // namespace

Image::Image(int w, int h) : width(w), height(h) {
  if (w <= 0 || h <= 0)
    throw std::invalid_argument("Image size must be positive, got " + std::to_string(w) + "x" +
                                std::to_string(h));
  pixels.assign(static_cast<std::size_t>(w) * h * 3, 0);
}

ImageSize decode_image_size(std::span<const std::uint8_t> bytes, const std::string& name) {
  return checked_info(bytes, name);
}

Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name) {
  ImageSize size = checked_info(bytes, name);
  const std::optional<std::vector<std::uint8_t>> cleaned =
      detail::without_empty_png_data_chunks(bytes);
  if (cleaned) bytes = *cleaned;
  int w = 0, h = 0, channels = 0;
  std::unique_ptr<stbi_uc, StbiFree> decoded(
      stbi_load_from_memory(bytes.data(), checked_length(bytes, name), &w, &h, &channels, 3));
  if (!decoded) {
    const char* reason = stbi_failure_reason();
    throw DataError(name, std::string("cannot decode image (truncated or corrupt?): ") +
                              (reason ? reason : "unknown"));
  }
  if (w != size.width || h != size.height)
    throw DataError(name, "image header and decoded size disagree");
  Image image;
  image.width = w;
  image.height = h;
  image.pixels.assign(decoded.get(), decoded.get() + static_cast<std::size_t>(w) * h * 3);
  return image;
}

Image load_image(const std::string& path) {
  return decode_image(read_file_bytes(path), path);
}

ImageSize read_image_size(const std::string& path) {
  // The header is almost always in the first 256 KiB; if not (huge metadata), read everything.
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::vector<std::uint8_t> head(256 * 1024);
    in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    if (!head.empty() && detail::stb_probe(head.data(), static_cast<int>(head.size())).ok)
      return checked_info(head, path);
  }
  return checked_info(read_file_bytes(path), path);
}

std::vector<std::uint8_t> encode_png(const Image& image) {
  check_encodable(image);
  std::vector<std::uint8_t> out;
  if (!stbi_write_png_to_func(append_bytes, &out, image.width, image.height, 3, image.pixels.data(),
                              image.width * 3))
    throw std::runtime_error("PNG encoding failed");
  return out;
}

std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality) {
  check_encodable(image);
  if (quality < 1 || quality > 100)
    throw std::invalid_argument("JPEG quality must be in 1..100, got " + std::to_string(quality));
  std::vector<std::uint8_t> out;
  if (!stbi_write_jpg_to_func(append_bytes, &out, image.width, image.height, 3, image.pixels.data(),
                              quality))
    throw std::runtime_error("JPEG encoding failed");
  return out;
}

void save_image(const Image& image, const std::string& path, int jpeg_quality) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".png") {
    write_file(path, encode_png(image));
  } else if (ext == ".jpg" || ext == ".jpeg") {
    write_file(path, encode_jpeg(image, jpeg_quality));
  } else {
    throw DataError(path, "unknown image extension '" + ext + "' (use .png, .jpg or .jpeg)");
  }
}

}  // namespace data
