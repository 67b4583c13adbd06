// Image IO tests: PNG/JPEG round trips, grey/RGBA conversion, and every kind of bad image file
// (missing, empty, truncated, not an image, zero size, huge header) failing with a named error.
#include <gtest/gtest.h>

#include <stb/stb_image_write.h>

#include <cstring>

#include "data/file_io.h"
#include "data/image.h"
#include "test_util.h"

namespace data {
namespace {

Image gradient(int w, int h) {
  Image im(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      im.at(x, y)[0] = static_cast<std::uint8_t>(x * 255 / (w - 1));
      im.at(x, y)[1] = static_cast<std::uint8_t>(y * 255 / (h - 1));
      im.at(x, y)[2] = static_cast<std::uint8_t>((x + y) % 256);
    }
  return im;
}

void append(void* ctx, void* data, int size) {
  auto* v = static_cast<std::vector<std::uint8_t>*>(ctx);
  v->insert(v->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
}

// Encodes raw pixels with `channels` channels as PNG, bypassing our RGB-only encoder.
std::vector<std::uint8_t> png_with_channels(int w,
                                            int h,
                                            int channels,
                                            const std::vector<std::uint8_t>& px) {
  std::vector<std::uint8_t> out;
  stbi_write_png_to_func(append, &out, w, h, channels, px.data(), w * channels);
  return out;
}

TEST(Image, PngRoundTripIsExact) {
  test::TempDir dir;
  Image im = gradient(37, 21);
  save_image(im, dir.file("a.png"));
  Image back = load_image(dir.file("a.png"));
  EXPECT_EQ(back.width, 37);
  EXPECT_EQ(back.height, 21);
  EXPECT_EQ(back.pixels, im.pixels);
  ImageSize size = read_image_size(dir.file("a.png"));
  EXPECT_EQ(size.width, 37);
  EXPECT_EQ(size.height, 21);
}

TEST(Image, JpegRoundTripIsClose) {
  test::TempDir dir;
  Image im = gradient(64, 48);
  save_image(im, dir.file("a.jpg"), 95);
  Image back = load_image(dir.file("a.jpg"));
  ASSERT_EQ(back.width, 64);
  ASSERT_EQ(back.height, 48);
  double err = 0;
  for (std::size_t i = 0; i < im.pixels.size(); ++i)
    err += std::abs(int(im.pixels[i]) - int(back.pixels[i]));
  EXPECT_LT(err / im.pixels.size(), 4.0);  // lossy, but close at quality 95
  EXPECT_GT(encode_jpeg(im, 95).size(), encode_jpeg(im, 10).size());
}

TEST(Image, GreyIsExpandedToRgb) {
  std::vector<std::uint8_t> px = {0, 50, 100, 200, 250, 255};
  Image im = decode_image(png_with_channels(3, 2, 1, px), "grey.png");
  ASSERT_EQ(im.pixels.size(), 18u);
  for (int i = 0; i < 6; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(im.pixels[3 * i + c], px[i]);
}

TEST(Image, RgbaDropsAlpha) {
  std::vector<std::uint8_t> px = {10, 20, 30, 0, 40, 50, 60, 255};
  Image im = decode_image(png_with_channels(2, 1, 4, px), "rgba.png");
  EXPECT_EQ(im.pixels, (std::vector<std::uint8_t>{10, 20, 30, 40, 50, 60}));
}

TEST(Image, GreyAlphaIsExpandedToRgb) {
  std::vector<std::uint8_t> px = {77, 255, 99, 0};
  Image im = decode_image(png_with_channels(2, 1, 2, px), "ga.png");
  EXPECT_EQ(im.pixels, (std::vector<std::uint8_t>{77, 77, 77, 99, 99, 99}));
}

TEST(ImageBadInput, MissingFile) {
  EXPECT_DATA_ERROR(load_image("/nonexistent/dir/x.jpg"), "/nonexistent/dir/x.jpg",
                    "file not found");
}

TEST(ImageBadInput, DirectoryInsteadOfFile) {
  test::TempDir dir;
  EXPECT_DATA_ERROR(load_image(dir.path().string()), dir.path().string(), "is a directory");
}

TEST(ImageBadInput, EmptyFile) {
  test::TempDir dir;
  std::string p = dir.write("empty.jpg", "");
  EXPECT_DATA_ERROR(load_image(p), p, "empty file");
}

TEST(ImageBadInput, NonImageBytes) {
  test::TempDir dir;
  std::string p = dir.write("text.jpg", "this is certainly not a JPEG file, just some text\n");
  EXPECT_DATA_ERROR(load_image(p), p, "not a readable image: unknown image format");
}

TEST(ImageBadInput, TruncatedJpegAndPng) {
  test::TempDir dir;
  Image im = gradient(64, 64);
  for (auto [name, bytes] :
       {std::pair{"t.jpg", encode_jpeg(im)}, std::pair{"t.png", encode_png(im)}}) {
    for (std::size_t keep :
         {std::size_t{2}, std::size_t{10}, bytes.size() / 3, bytes.size() - 20}) {
      std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + keep);
      std::string p = dir.file(name);
      write_file(p, cut);
      // stb decodes some truncated JPEGs by padding with zeros; it must never crash, and when it
      // does fail the error must name the file.
      try {
        Image out = load_image(p);
        EXPECT_EQ(out.width, 64);
        EXPECT_EQ(out.pixels.size(), 64u * 64u * 3u);
      } catch (const DataError& e) {
        EXPECT_EQ(e.file(), p);
        EXPECT_FALSE(e.problem().empty());
      }
    }
  }
  // A PNG cut in its data chunk is always an error (CRC / zlib stream incomplete).
  auto png = encode_png(im);
  std::vector<std::uint8_t> cut(png.begin(), png.begin() + png.size() / 2);
  EXPECT_DATA_ERROR(decode_image(cut, "half.png"), "half.png", "cannot decode image");
}

TEST(ImageBadInput, ZeroSizeHeader) {
  // A PNG whose IHDR says 0x0: stb refuses it; we must say so with the file name.
  Image im = gradient(4, 4);
  auto png = encode_png(im);
  // IHDR width and height sit at bytes 16..23 (after the signature and chunk header).
  std::memset(png.data() + 16, 0, 8);
  EXPECT_DATA_ERROR(decode_image(png, "zero.png"), "zero.png",
                    "PNG header rejected: 0-pixel image");
}

TEST(ImageBadInput, HugeHeaderIsRefusedBeforeAllocating) {
  Image im = gradient(4, 4);
  auto png = encode_png(im);
  // 60000 x 60000 pixels: 10.8 GB decoded; must be refused from the header alone.
  const std::uint8_t big[8] = {0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60};
  std::memcpy(png.data() + 16, big, 8);
  EXPECT_DATA_ERROR(decode_image(png, "huge.png"), "huge.png", "too large");
}

TEST(ImageBadInput, HostileJpegHuffmanTableIsRefused) {
  // A DHT segment claiming 16 x 255 codes overflows stb_image 2.27's tables (found by fuzzing).
  auto jpg = encode_jpeg(gradient(16, 16));
  std::size_t dht = 0;
  for (std::size_t i = 2; i + 1 < jpg.size(); ++i)
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xC4) {
      dht = i;
      break;
    }
  ASSERT_GT(dht, 0u);
  for (std::size_t k = 0; k < 16; ++k) jpg[dht + 5 + k] = 255;
  EXPECT_DATA_ERROR(decode_image(jpg, "evil.jpg"), "evil.jpg",
                    "corrupt JPEG: Huffman table with 4080 codes");
  // stb skips FF fill bytes before the SOI marker, so must the guard.
  jpg.insert(jpg.begin(), {0xFF, 0xFF});
  EXPECT_DATA_ERROR(decode_image(jpg, "fill.jpg"), "fill.jpg", "corrupt JPEG: Huffman table");
  // A file that ends inside the counts: stb reads the missing bytes as 0, so must the guard.
  std::vector<std::uint8_t> cut(jpg.begin(),
                                jpg.begin() + static_cast<std::ptrdiff_t>(dht + 2 + 5 + 10));
  EXPECT_DATA_ERROR(decode_image(cut, "cut.jpg"), "cut.jpg",
                    "corrupt JPEG: Huffman table with 2550 codes");
}

TEST(ImageBadInput, ZeroLengthPngDataChunksDecodeLikeTheOriginal) {
  // stb 2.27 memcpys into a null buffer for an empty IDAT before the data (found by fuzzing);
  // empty IDAT chunks are legal and carry nothing, so the image must decode unchanged.
  const Image original = gradient(6, 5);
  const std::vector<std::uint8_t> png = encode_png(original);
  std::size_t idat = 0;
  for (std::size_t i = 8; i + 8 <= png.size(); ++i)
    if (std::memcmp(png.data() + i + 4, "IDAT", 4) == 0) {
      idat = i;
      break;
    }
  ASSERT_GT(idat, 0u);
  const std::uint8_t empty_idat[12] = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xAF, 0x06, 0x1E};
  std::vector<std::uint8_t> with_empty(png.begin(),
                                       png.begin() + static_cast<std::ptrdiff_t>(idat));
  with_empty.insert(with_empty.end(), empty_idat, empty_idat + 12);
  with_empty.insert(with_empty.end(), png.begin() + static_cast<std::ptrdiff_t>(idat), png.end());
  with_empty.insert(with_empty.end() - 12, empty_idat, empty_idat + 12);  // one more before IEND
  const Image decoded = decode_image(with_empty, "empty_idat.png");
  EXPECT_EQ(decoded.width, original.width);
  EXPECT_EQ(decoded.height, original.height);
  EXPECT_EQ(decoded.pixels, original.pixels);
}

TEST(ImageBadInput, OtherFormatsAreNamedAsUnsupported) {
  std::vector<std::uint8_t> bmp = {'B', 'M', 0x3A, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0,  0x28,
                                   0,   0,   0,    1, 0, 0, 0, 1, 0, 0, 0,    1, 0, 24, 0};
  EXPECT_DATA_ERROR(decode_image(bmp, "a.bmp"), "a.bmp",
                    "unknown image format (expected JPEG or PNG)");
  std::vector<std::uint8_t> gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0};
  EXPECT_DATA_ERROR(decode_image(gif, "a.gif"), "a.gif", "unknown image format");
}

TEST(ImageBadInput, UnknownSaveExtension) {
  test::TempDir dir;
  EXPECT_DATA_ERROR(save_image(gradient(4, 4), dir.file("x.gif")), "x.gif",
                    "unknown image extension");
}

TEST(ImageBadInput, EmptyImageCannotBeEncoded) {
  EXPECT_THROW(encode_png(Image{}), std::invalid_argument);
  EXPECT_THROW(Image(0, 5), std::invalid_argument);
}

}  // namespace
}  // namespace data
