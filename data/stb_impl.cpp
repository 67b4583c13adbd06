// The one translation unit that compiles stb_image / stb_image_write (Debian libstb-dev headers).
// Compiled here (not linked from libstb) so our limits apply and fuzzers instrument the decoder.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_MAX_DIMENSIONS (1 << 16)
#define STBI_NO_STDIO
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
