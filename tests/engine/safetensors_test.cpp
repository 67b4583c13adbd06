// safetensors IO: round trips of every dtype, metadata, the file written by the Python generator,
// and hostile files (truncated, malformed, out-of-range) that must fail with a clear message.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "engine/half.h"
#include "engine/io/safetensors.h"

using namespace engine;
using engine::io::load_safetensors;
using engine::io::save_safetensors;
namespace fs = std::filesystem;

namespace {

// A fresh folder under the system temp folder, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("safetensors_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_))
      names.push_back(entry.path().filename().string());
    return names;
  }

 private:
  fs::path path_;
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string le64(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

// A hand-made file: header length (the header's own size unless `length` is given), header, data.
std::string make_file(const TempDir& dir,
                      const std::string& header,
                      const std::string& data = "",
                      std::optional<std::uint64_t> length = std::nullopt) {
  const std::string path = dir.file("hostile.safetensors");
  write_bytes(path, le64(length.value_or(header.size())) + header + data);
  return path;
}

std::vector<std::uint8_t> bytes_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  const auto* p = static_cast<const std::uint8_t*>(c.raw_data());
  return std::vector<std::uint8_t>(
      p, p + c.numel() * static_cast<std::int64_t>(dtype_size(c.dtype())));
}

template <typename T>
std::vector<T> values_of(const Tensor& t) {  // also for Half/BFloat16, which to_vector lacks
  const Tensor c = t.contiguous();
  const T* p = c.data_ptr<T>();
  return std::vector<T>(p, p + c.numel());
}

const std::string kEightBytes(8, '\x01');
const std::string kValidEntry = R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

}  // namespace

// Runs `stmt`, expects an engine::Error whose message contains `file` and `problem`.
#define EXPECT_SAFETENSORS_ERROR(stmt, file, problem)                                      \
  do {                                                                                     \
    try {                                                                                  \
      stmt;                                                                                \
      ADD_FAILURE() << "expected an engine::Error mentioning '" << (problem) << "'";       \
    } catch (const engine::Error& e) {                                                     \
      const std::string what = e.what();                                                   \
      EXPECT_NE(what.find(file), std::string::npos) << "message lacks the file: " << what; \
      EXPECT_NE(what.find(problem), std::string::npos)                                     \
          << "message lacks '" << (problem) << "': " << what;                              \
    }                                                                                      \
  } while (0)

// ---------------------------------------------------------------- round trips

TEST(Safetensors, RoundTripEveryDtype) {
  TempDir dir;
  const std::string path = dir.file("all.safetensors");
  const Tensor base = from_vector<float>({1.5f, -2.25f, 3.0f, 0.1f, -0.0f, 65504.0f}, {2, 3});
  const std::vector<std::pair<std::string, Tensor>> tensors = {
      {"f32", base},
      {"f64", from_vector<double>({0.1, -1e300, 5e-324}, {3})},
      {"f16", base.to(DType::f16)},
      {"bf16", base.reshape({3, 2}).to(DType::bf16)},
      {"i32", from_vector<std::int32_t>({INT32_MIN, INT32_MAX, 0, -7}, {2, 2})},
      {"i64", from_vector<std::int64_t>({INT64_MIN, INT64_MAX}, {2, 1})},
      {"u8", from_vector<std::uint8_t>({0, 128, 255}, {3})},
      {"bool", from_vector<bool>({true, false, false, true}, {4})},
      {"scalar", scalar_tensor(2.5, {.dtype = DType::f64})},
      {"empty", zeros({0, 4}, {.dtype = DType::i64})},
      {"transposed", base.t()},
      {"strided", base.slice(1, 0, 3, 2)},
  };
  save_safetensors(path, tensors);
  const auto file = load_safetensors(path);
  EXPECT_EQ(file.path, path);
  EXPECT_TRUE(file.metadata.empty());
  ASSERT_EQ(file.tensors.size(), tensors.size());
  for (std::size_t i = 1; i < file.tensors.size(); ++i)
    EXPECT_LT(file.tensors[i - 1].first, file.tensors[i].first)
        << "tensors come back in name order";
  for (const auto& [name, original] : tensors) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(file.contains(name));
    const Tensor& loaded = file.at(name);
    EXPECT_EQ(loaded.dtype(), original.dtype());
    EXPECT_EQ(loaded.shape(), original.shape());
    EXPECT_TRUE(loaded.is_contiguous());
    EXPECT_EQ(bytes_of(loaded), bytes_of(original));
  }
  EXPECT_EQ(file.at("scalar").dim(), 0);
  EXPECT_EQ(file.at("scalar").item(), 2.5);
  EXPECT_EQ(file.at("empty").numel(), 0);
  EXPECT_EQ(file.at("i64").to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{INT64_MIN, INT64_MAX}));
  EXPECT_EQ(file.at("bool").to_vector<bool>(), (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(values_of<Half>(file.at("f16"))[5].bits, 0x7BFF);  // 65504, the largest f16
}

TEST(Safetensors, NonContiguousInputIsWrittenRowMajor) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  const Tensor t = arange(0.0, 6.0).reshape({2, 3}).t();  // [3, 2], strides [1, 3]
  ASSERT_FALSE(t.is_contiguous());
  save_safetensors(path, {{"t", t}});
  const Tensor loaded = load_safetensors(path).at("t");
  EXPECT_EQ(loaded.shape(), (Shape{3, 2}));
  EXPECT_EQ(loaded.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(Safetensors, MetadataRoundTrip) {
  TempDir dir;
  const std::string path = dir.file("meta.safetensors");
  const std::map<std::string, std::string> metadata = {{"format", "pt"},
                                                       {"epoch", "12"},
                                                       {"empty", ""},
                                                       {"quote \"and\" \\slash", "line\nbreak"},
                                                       {"unicode", "\xc3\xa9t\xc3\xa9"}};
  save_safetensors(path, {{"x", ones({2})}}, metadata);
  const auto file = load_safetensors(path);
  EXPECT_EQ(file.metadata, metadata);
  EXPECT_EQ(file.at("x").to_vector<float>(), (std::vector<float>{1, 1}));

  save_safetensors(path, {}, {{"only", "metadata"}});  // no tensors at all is a valid file
  const auto only = load_safetensors(path);
  EXPECT_TRUE(only.tensors.empty());
  EXPECT_EQ(only.metadata.at("only"), "metadata");
}

TEST(Safetensors, WrittenLayoutFollowsTheReferenceWriter) {
  TempDir dir;
  const std::string path = dir.file("layout.safetensors");
  save_safetensors(path,
                   {{"b", ones({3}, {.dtype = DType::i64})}, {"a", ones({2})}, {"c", zeros({0})}},
                   {{"k", "v"}});
  const std::string bytes = read_bytes(path);
  ASSERT_GE(bytes.size(), 8u);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(n % 8, 0u) << "header padded to a multiple of 8";
  ASSERT_LE(8 + n, bytes.size());
  const std::string header_text = bytes.substr(8, n);
  EXPECT_EQ(header_text.find_last_not_of(' '), header_text.find_last_of('}'))
      << "padding is spaces";
  const auto header = nlohmann::json::parse(header_text);
  EXPECT_EQ(header["a"]["data_offsets"], nlohmann::json::parse("[0, 8]")) << "name order: a first";
  EXPECT_EQ(header["b"]["data_offsets"], nlohmann::json::parse("[8, 32]"));
  EXPECT_EQ(header["c"]["data_offsets"], nlohmann::json::parse("[32, 32]"));
  EXPECT_EQ(header["b"]["dtype"], "I64");
  EXPECT_EQ(header["__metadata__"]["k"], "v");
  EXPECT_EQ(bytes.size(), 8 + n + 32);
}

TEST(Safetensors, SaveIsAtomicAndLeavesNoTemporaryFiles) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  save_safetensors(path, {{"w", full({4}, 1.0)}});
  save_safetensors(path, {{"w", full({4}, 2.0)}});  // replaces the old file
  EXPECT_EQ(load_safetensors(path).at("w").to_vector<float>(), (std::vector<float>(4, 2.0f)));
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"ckpt.safetensors"}));
  // A failed save leaves the previous file untouched and no temporary behind.
  EXPECT_SAFETENSORS_ERROR(save_safetensors(path, {{"w", ones({1})}, {"w", ones({1})}}), path,
                           "duplicate tensor name 'w'");
  EXPECT_EQ(load_safetensors(path).at("w").to_vector<float>(), (std::vector<float>(4, 2.0f)));
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"ckpt.safetensors"}));
  const std::string missing = dir.file("no/such/folder/x.safetensors");
  EXPECT_SAFETENSORS_ERROR(save_safetensors(missing, {{"w", ones({1})}}), missing, "cannot open");
}

TEST(Safetensors, SaveRejectsBadInput) {
  TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  EXPECT_SAFETENSORS_ERROR(save_safetensors(path, {{"__metadata__", ones({1})}}), path, "reserved");
  EXPECT_SAFETENSORS_ERROR(save_safetensors(path, {{"u", Tensor()}}), path,
                           "tensor 'u' is undefined");
  EXPECT_SAFETENSORS_ERROR(save_safetensors(path, {{"bad\xff", ones({1})}}), path, "valid UTF-8");
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(dir.listing().empty());
}

TEST(Safetensors, AtNamesTheFileAndTheMissingKey) {
  TempDir dir;
  const std::string path = dir.file("few.safetensors");
  save_safetensors(path, {{"conv.weight", ones({1})}});
  const auto file = load_safetensors(path);
  EXPECT_FALSE(file.contains("conv.bias"));
  EXPECT_SAFETENSORS_ERROR(file.at("conv.bias"), path, "no tensor named 'conv.bias'");
  EXPECT_SAFETENSORS_ERROR(file.at("conv.bias"), path, "conv.weight");  // lists what is there
}

// ---------------------------------------------------------------- the Python generator's file

TEST(Safetensors, LoadsTheFileWrittenByThePythonGenerator) {
  const std::string path = std::string(DREAMBOX_GOLDEN_DIR) + "/sample.safetensors";
  const char* regenerate =
      "regenerate with: /usr/bin/python3 tests/golden/gen_safetensors_sample.py";
  const auto file = load_safetensors(path);
  ASSERT_EQ(file.metadata.count("dreambox_golden"), 1u) << regenerate;
  ASSERT_EQ(file.metadata.at("dreambox_golden"), "safetensors_sample v1") << regenerate;
  EXPECT_EQ(file.metadata.at("format"), "pt");
  ASSERT_EQ(file.tensors.size(), 10u) << regenerate;

  const Tensor& weight = file.at("weight");
  EXPECT_EQ(weight.dtype(), DType::f32);
  EXPECT_EQ(weight.shape(), (Shape{2, 3}));
  const std::vector<float> expected_f32 = {0.1f, -2.5f, 3.0e38f, 1e-40f, -0.0f, 7.0f};
  const auto got_f32 = weight.to_vector<float>();
  for (std::size_t i = 0; i < expected_f32.size(); ++i)
    EXPECT_EQ(std::bit_cast<std::uint32_t>(got_f32[i]),
              std::bit_cast<std::uint32_t>(expected_f32[i]))
        << "weight[" << i << "]; " << regenerate;

  const Tensor& dbl = file.at("double");
  EXPECT_EQ(dbl.shape(), (Shape{2, 2}));
  const std::vector<double> expected_f64 = {0.1, -1e300, 5e-324, 2.0};
  const auto got_f64 = dbl.to_vector<double>();
  for (std::size_t i = 0; i < expected_f64.size(); ++i)
    EXPECT_EQ(std::bit_cast<std::uint64_t>(got_f64[i]),
              std::bit_cast<std::uint64_t>(expected_f64[i]))
        << "double[" << i << "]; " << regenerate;

  const Tensor& half = file.at("half");
  EXPECT_EQ(half.dtype(), DType::f16);
  EXPECT_EQ(half.shape(), (Shape{5}));
  const std::vector<std::uint16_t> half_bits = {0x3C00, 0xC000, 0x7BFF, 0x2E66, 0x0001};
  const std::vector<float> half_values = {1.0f, -2.0f, 65504.0f, 0.0999755859375f,
                                          5.9604644775390625e-08f};
  const auto got_half = values_of<Half>(half);
  for (std::size_t i = 0; i < half_bits.size(); ++i) {
    EXPECT_EQ(got_half[i].bits, half_bits[i]) << "half[" << i << "]; " << regenerate;
    EXPECT_EQ(half_to_float(got_half[i]), half_values[i]) << "half[" << i << "]";
  }

  const Tensor& brain = file.at("brain");
  EXPECT_EQ(brain.dtype(), DType::bf16);
  EXPECT_EQ(brain.shape(), (Shape{2, 2}));
  const std::vector<std::uint16_t> bf16_bits = {0x3F80, 0xC049, 0x3C00, 0x7F7F};
  const std::vector<float> bf16_values = {1.0f, -3.140625f, 0.0078125f, 3.3895313892515355e38f};
  const auto got_bf16 = values_of<BFloat16>(brain);
  for (std::size_t i = 0; i < bf16_bits.size(); ++i) {
    EXPECT_EQ(got_bf16[i].bits, bf16_bits[i]) << "brain[" << i << "]; " << regenerate;
    EXPECT_EQ(bf16_to_float(got_bf16[i]), bf16_values[i]) << "brain[" << i << "]";
  }

  EXPECT_EQ(file.at("int32").to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{INT32_MIN, INT32_MAX, 0, 42}))
      << regenerate;
  EXPECT_EQ(file.at("int64").shape(), (Shape{3, 1}));
  EXPECT_EQ(file.at("int64").to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{INT64_MIN, INT64_MAX, 1}))
      << regenerate;
  EXPECT_EQ(file.at("bytes").to_vector<std::uint8_t>(),
            (std::vector<std::uint8_t>{0, 1, 127, 128, 255}))
      << regenerate;
  EXPECT_EQ(file.at("mask").to_vector<bool>(), (std::vector<bool>{true, false, true}))
      << regenerate;
  EXPECT_EQ(file.at("scalar").shape(), Shape{});
  EXPECT_EQ(file.at("scalar").item(), 2.5) << regenerate;
  EXPECT_EQ(file.at("empty").shape(), (Shape{0, 3}));
  EXPECT_EQ(file.at("empty").dtype(), DType::f32);

  // Our writer reproduces the same tensors (in its own layout).
  TempDir dir;
  const std::string copy = dir.file("copy.safetensors");
  save_safetensors(copy, file.tensors, file.metadata);
  const auto again = load_safetensors(copy);
  EXPECT_EQ(again.metadata, file.metadata);
  ASSERT_EQ(again.tensors.size(), file.tensors.size());
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    EXPECT_EQ(again.tensors[i].first, file.tensors[i].first);
    EXPECT_EQ(again.tensors[i].second.shape(), file.tensors[i].second.shape());
    EXPECT_EQ(bytes_of(again.tensors[i].second), bytes_of(file.tensors[i].second));
  }
}

// ---------------------------------------------------------------- hostile files

TEST(SafetensorsHostile, FileNotFound) {
  TempDir dir;
  const std::string path = dir.file("absent.safetensors");
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path, "file not found");
}

TEST(SafetensorsHostile, ShorterThanTheLengthPrefix) {
  TempDir dir;
  const std::string path = dir.file("short.safetensors");
  write_bytes(path, "\x05\x00\x00");
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path, "shorter than the 8-byte header length");
}

TEST(SafetensorsHostile, HeaderLengthLargerThanTheFile) {
  TempDir dir;
  const std::string path = make_file(dir, "{}", "", 1000);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                           "header length 1000 runs past the end of the file");
}

TEST(SafetensorsHostile, AbsurdHeaderLength) {
  TempDir dir;
  const std::string path = make_file(dir, "{}", "", UINT64_MAX);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                           "header length 18446744073709551615 is larger than");
}

TEST(SafetensorsHostile, HeaderIsNotJson) {
  TempDir dir;
  EXPECT_SAFETENSORS_ERROR(load_safetensors(make_file(dir, "not json at all")),
                           "hostile.safetensors", "header is not valid JSON");
  EXPECT_SAFETENSORS_ERROR(load_safetensors(make_file(dir, "{\"w\": ")), "hostile.safetensors",
                           "header is not valid JSON");
  EXPECT_SAFETENSORS_ERROR(load_safetensors(make_file(dir, "{\"\xff\": {}}")),
                           "hostile.safetensors",
                           "header is not valid JSON");  // invalid UTF-8
}

TEST(SafetensorsHostile, HeaderIsNotAnObject) {
  TempDir dir;
  const std::string path = make_file(dir, "[1, 2, 3]");
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path, "header is not a JSON object (got array)");
}

TEST(SafetensorsHostile, HeaderNestsTooDeep) {
  TempDir dir;
  const std::string path =
      make_file(dir, "{\"w\":" + std::string(100000, '[') + std::string(100000, ']') + "}");
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path, "header nests deeper than");
}

TEST(SafetensorsHostile, EntryIsNotAnObject) {
  TempDir dir;
  const std::string path = make_file(dir, R"({"w": 5})");
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path, "tensor 'w': entry is not a JSON object");
}

TEST(SafetensorsHostile, MissingField) {
  TempDir dir;
  const std::string path = make_file(dir, R"({"w":{"dtype":"F32","shape":[2]}})", kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                           "tensor 'w': missing field 'data_offsets'");
}

TEST(SafetensorsHostile, ExtraField) {
  TempDir dir;
  const std::string path = make_file(
      dir, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"stride":[1]}})", kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path, "tensor 'w': unexpected field 'stride'");
}

TEST(SafetensorsHostile, UnknownDtype) {
  TempDir dir;
  const std::string path =
      make_file(dir, R"({"w":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}})", kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                           "tensor 'w': unsupported dtype \"F8_E4M3\"");
  const std::string lower =
      make_file(dir, R"({"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})", kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(lower), lower, "unsupported dtype \"f32\"");
  const std::string number =
      make_file(dir, R"({"w":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(number), number, "tensor 'w': dtype is not a string");
}

TEST(SafetensorsHostile, NegativeShapeEntry) {
  TempDir dir;
  const std::string path =
      make_file(dir, R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                           "tensor 'w': shape entry -2 is not a non-negative integer");
}

TEST(SafetensorsHostile, NonIntegerShapeEntry) {
  TempDir dir;
  for (const std::string bad : {"2.0", "\"2\"", "true", "null", "[2]", "1e2"}) {
    SCOPED_TRACE(bad);
    const std::string path = make_file(
        dir, R"({"w":{"dtype":"F32","shape":[)" + bad + R"(],"data_offsets":[0,8]}})", kEightBytes);
    EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path, "is not a non-negative integer");
  }
  const std::string path =
      make_file(dir, R"({"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path, "tensor 'w': shape is not a JSON array");
}

TEST(SafetensorsHostile, ShapeProductOverflows) {
  TempDir dir;
  const std::string path = make_file(
      dir, R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}})",
      kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path, "overflows a 64-bit element count");
  const std::string huge =
      make_file(dir, R"({"w":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]}})",
                kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(huge), huge, "overflows a 64-bit element count");
  // The element count fits but the byte count does not.
  const std::string bytes =
      make_file(dir, R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}})",
                kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(bytes), bytes, "size mismatch");
}

TEST(SafetensorsHostile, DataOffsetsNotTwoIntegers) {
  TempDir dir;
  for (const std::string bad :
       {"[0]", "[0,4,8]", "[0.0,8]", "[\"0\",\"8\"]", "[-8,0]", "8", "{}", "[0,8.5]"}) {
    SCOPED_TRACE(bad);
    const std::string path = make_file(
        dir, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":)" + bad + "}}", kEightBytes);
    EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                             "is not a pair of non-negative integers");
  }
}

TEST(SafetensorsHostile, DataOffsetsDecrease) {
  TempDir dir;
  const std::string path =
      make_file(dir, R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                           "tensor 'w': data_offsets [8, 0] decrease");
}

TEST(SafetensorsHostile, EndBeyondTheDataSection) {
  TempDir dir;
  const std::string path = make_file(
      dir, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "\x01\x02\x03\x04");
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                           "tensor 'w': data_offsets end 8 is beyond the data section (4 bytes");
  const std::string far = make_file(
      dir,
      R"({"w":{"dtype":"U8","shape":[8],"data_offsets":[18446744073709551607,18446744073709551615]}})",
      kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(far), far, "is beyond the data section");
}

TEST(SafetensorsHostile, SizeDoesNotMatchShapeAndDtype) {
  TempDir dir;
  const std::string path =
      make_file(dir, R"({"w":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})", kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                           "tensor 'w': data_offsets [0, 8] hold 8 bytes but shape [2] of F64 "
                           "needs 2 x 8 bytes (size mismatch)");
}

TEST(SafetensorsHostile, OverlappingRanges) {
  TempDir dir;
  const std::string path = make_file(
      dir,
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
      std::string(12, '\0'));
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                           "tensors 'a' [0, 8) and 'b' [4, 12) overlap");
  const std::string same = make_file(
      dir,
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})",
      kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(same), same, "overlap");
}

TEST(SafetensorsHostile, DuplicateNames) {
  TempDir dir;
  const std::string path =
      make_file(dir, "{\"w\":" + kValidEntry + ",\"w\":" + kValidEntry + "}", kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path, "duplicate tensor name 'w'");
  const std::string field = make_file(
      dir, R"({"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})", kEightBytes);
  EXPECT_SAFETENSORS_ERROR(load_safetensors(field), field, "duplicate key 'dtype'");
}

TEST(SafetensorsHostile, MetadataValueNotAString) {
  TempDir dir;
  const std::string path = make_file(dir, R"({"__metadata__":{"epoch":3}})");
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                           "__metadata__ value of key 'epoch' is not a string");
  const std::string array = make_file(dir, R"({"__metadata__":["a"]})");
  EXPECT_SAFETENSORS_ERROR(load_safetensors(array), array,
                           "__metadata__ is not a JSON object of strings");
}

TEST(SafetensorsHostile, BoolBytesOtherThanZeroOrOne) {
  TempDir dir;
  const std::string path =
      make_file(dir, R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})",
                std::string("\x01\x00\x07", 3));
  EXPECT_SAFETENSORS_ERROR(load_safetensors(path), path,
                           "tensor 'm': BOOL element 2 has byte value 7");
}

// Every prefix of a valid file is refused with an error naming the file.
TEST(SafetensorsHostile, EveryTruncationFails) {
  TempDir dir;
  const std::string good = dir.file("good.safetensors");
  save_safetensors(good, {{"a", arange(0.0, 5.0)}, {"b", ones({2, 2}, {.dtype = DType::i64})}},
                   {{"k", "v"}});
  const std::string bytes = read_bytes(good);
  const std::string path = dir.file("cut.safetensors");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    SCOPED_TRACE(n);
    write_bytes(path, bytes.substr(0, n));
    try {
      load_safetensors(path);
      ADD_FAILURE() << "a file cut to " << n << " of " << bytes.size() << " bytes loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

// Corrupting any single byte of the prefix or header either still loads or fails cleanly.
TEST(SafetensorsHostile, CorruptedHeaderBytesNeverCrash) {
  TempDir dir;
  const std::string good = dir.file("good.safetensors");
  save_safetensors(good, {{"a", arange(0.0, 5.0)}, {"b", ones({2, 2}, {.dtype = DType::i64})}},
                   {{"k", "v"}});
  const std::string bytes = read_bytes(good);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<unsigned char>(bytes[i]);
  const std::string path = dir.file("corrupt.safetensors");
  int loaded = 0, refused = 0;
  for (std::size_t pos = 0; pos < 8 + n; ++pos) {
    for (const char c : {'\0', '"', '{', ']', '9', '-', ',', ':', '\xff'}) {
      std::string corrupt = bytes;
      corrupt[pos] = c;
      write_bytes(path, corrupt);
      try {
        load_safetensors(path);
        ++loaded;
      } catch (const Error& e) {
        ++refused;
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(loaded, 0);  // e.g. a digit changed inside a metadata value
}
