// The one translation unit that compiles stb_image / stb_image_write (Debian libstb-dev headers).
// Compiled here (not linked from libstb) so our limits apply and fuzzers instrument the decoder.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_MAX_DIMENSIONS (1 << 16)
#define STBI_ONLY_JPEG  // the formats we need; less third-party decoder exposed to hostile files
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#define STBI_WRITE_NO_STDIO
// stb_image 2.27's JPEG bit reader (stbi__grow_buffer_unsafe) shifts a 32-bit value by 32 when a
// corrupt entropy segment drives its bit count negative: undefined behaviour that only changes the
// garbage decoded from an already-corrupt file, found by fuzz_image (crash input in
// fuzz/corpus/image). We cannot patch the system header, so under clang (the fuzz build) the
// shift check alone is switched off for stb's functions; every other UBSan check and ASan stay on.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("shift"))), apply_to = function)
#endif
#include <stb/stb_image.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif
#include <stb/stb_image_write.h>

#include "data/stb_probe.h"

namespace data::detail {

// stbi_info_from_memory tries every format and leaves only the last one's failure reason
// ("unknown image type"); probing the format first keeps the real reason ("0-pixel image").
StbProbe stb_probe(const unsigned char* bytes, int length) {
  using Test = int (*)(stbi__context*);
  using Info = int (*)(stbi__context*, int*, int*, int*);
  struct Format {
    const char* name;
    Test test;
    Info info;
  };
  static const Format formats[] = {{"JPEG", stbi__jpeg_test, stbi__jpeg_info},
                                   {"PNG", stbi__png_test, stbi__png_info}};
  StbProbe probe;
  for (const Format& f : formats) {
    stbi__context s;
    stbi__start_mem(&s, bytes, length);
    if (!f.test(&s)) continue;
    probe.format = f.name;
    stbi__start_mem(&s, bytes, length);
    probe.ok = f.info(&s, &probe.width, &probe.height, &probe.channels) != 0;
    if (!probe.ok) probe.reason = stbi_failure_reason();
    return probe;
  }
  probe.reason = "unknown image format (expected JPEG or PNG)";
  return probe;
}

}  // namespace data::detail
