// Image header probing that keeps stb_image's real failure reason (implemented in stb_impl.cpp,
// the translation unit that owns stb's internals). Internal to data/image.cpp.
#pragma once

namespace data::detail {

struct StbProbe {
  bool ok = false;
  const char* format = "unknown";  // JPEG, PNG or unknown
  const char* reason = nullptr;    // stb's reason when !ok
  int width = 0, height = 0, channels = 0;
};

StbProbe stb_probe(const unsigned char* bytes, int length);

}  // namespace data::detail
