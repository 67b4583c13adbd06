// libFuzzer target for image decoding (stb_image behind data::decode_image): any input must either
// decode to a consistent RGB image or throw DataError, within the pixel limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "data/error.h"
#include "data/image.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  try {
    data::Image im = data::decode_image(std::span<const std::uint8_t>(bytes, size), "fuzz.img");
    if (im.width <= 0 || im.height <= 0 ||
        static_cast<std::int64_t>(im.width) * im.height > data::kMaxImagePixels ||
        im.pixels.size() != static_cast<std::size_t>(im.width) * im.height * 3)
      std::abort();
  } catch (const data::DataError&) {
  }
  return 0;
}
