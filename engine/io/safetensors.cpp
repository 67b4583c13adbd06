// safetensors IO (see safetensors.h): a reader that validates the whole header before it
// allocates or reads any tensor, and a writer that goes through a temporary file and a rename.
#include "engine/io/safetensors.h"

#include <unistd.h>  // fsync

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

namespace engine::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and this code copies it byte for byte");

namespace {

using nlohmann::json;

constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit
constexpr int kMaxHeaderDepth = 16;                     // a valid header nests 3 deep
const std::string kMetadataKey = "__metadata__";

// Throws engine::Error "safetensors file '<path>': <parts>".
template <typename... Parts>
[[noreturn]] void fail(const std::string& path, const Parts&... parts) {
  ENGINE_FAIL("safetensors file '", path, "': ", parts...);
}

struct DTypeName {
  DType dtype;
  const char* name;
};
constexpr DTypeName kDTypeNames[] = {
    {DType::f32, "F32"}, {DType::f64, "F64"}, {DType::f16, "F16"}, {DType::bf16, "BF16"},
    {DType::i32, "I32"}, {DType::i64, "I64"}, {DType::u8, "U8"},   {DType::b8, "BOOL"}};

const char* safetensors_name(DType dtype) {
  for (const auto& d : kDTypeNames)
    if (d.dtype == dtype) return d.name;
  ENGINE_FAIL("safetensors: dtype ", dtype_name(dtype), " has no safetensors name");
}

std::optional<DType> dtype_from_safetensors(const std::string& name) {
  for (const auto& d : kDTypeNames)
    if (name == d.name) return d.dtype;
  return std::nullopt;
}

// A JSON value for a message, cut short so a hostile header cannot flood it.
std::string brief(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

std::optional<std::uint64_t> as_index(const json& value) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  return std::nullopt;
}

// ---------------------------------------------------------------- reading

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  std::uint64_t begin = 0, end = 0;  // relative to the first byte after the header
};

void read_exact(std::ifstream& in,
                const std::string& path,
                std::uint64_t offset,
                void* dst,
                std::uint64_t n,
                const std::string& what) {
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
  if (!in || static_cast<std::uint64_t>(in.gcount()) != n)
    fail(path, "reading ", what, " (", n, " bytes at offset ", offset,
         ") failed: the file ended early or changed while it was read");
}

// Parses the header, refusing duplicate keys (a plain parse would silently keep the last one)
// and absurd nesting.
json parse_header(const std::string& path, const std::string& text) {
  std::vector<std::set<std::string>> keys;  // the keys seen so far, one set per open object
  int depth = 0;
  auto callback = [&](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        [[fallthrough]];
      case json::parse_event_t::array_start:
        if (++depth > kMaxHeaderDepth)
          fail(path, "header nests deeper than ", kMaxHeaderDepth,
               " levels (not a safetensors header)");
        break;
      case json::parse_event_t::object_end:
        keys.pop_back();
        [[fallthrough]];
      case json::parse_event_t::array_end:
        --depth;
        break;
      case json::parse_event_t::key: {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!keys.back().insert(key).second) {
          if (depth == 1 && keys.size() == 1 && key != kMetadataKey)
            fail(path, "duplicate tensor name '", key, "' in the header");
          fail(path, "duplicate key '", key, "' in the header");
        }
        break;
      }
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
  try {
    return json::parse(text, callback);
  } catch (const json::exception& e) {
    fail(path, "header is not valid JSON: ", e.what());
  }
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const json& value) {
  if (!value.is_object())
    fail(path, kMetadataKey, " is not a JSON object of strings (got ", value.type_name(), ")");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, v] : value.items()) {
    if (!v.is_string())
      fail(path, kMetadataKey, " value of key '", key, "' is not a string (got ", v.type_name(),
           " ", brief(v), ")");
    metadata[key] = v.get<std::string>();
  }
  return metadata;
}

Shape parse_shape(const std::string& path, const std::string& name, const json& value) {
  if (!value.is_array())
    fail(path, "tensor '", name, "': shape is not a JSON array (got ", brief(value), ")");
  Shape shape;
  std::int64_t elements = 1;  // product of max(dim, 1), as contiguous strides need it
  for (const auto& dim : value) {
    const auto size = as_index(dim);
    if (!size)
      fail(path, "tensor '", name, "': shape entry ", brief(dim), " is not a non-negative integer");
    if (*size > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
        __builtin_mul_overflow(
            elements, std::max<std::int64_t>(static_cast<std::int64_t>(*size), 1), &elements))
      fail(path, "tensor '", name, "': shape ", brief(value), " overflows a 64-bit element count");
    shape.push_back(static_cast<std::int64_t>(*size));
  }
  return shape;
}

Entry parse_entry(const std::string& path,
                  const std::string& name,
                  const json& value,
                  std::uint64_t data_size) {
  if (!value.is_object())
    fail(path, "tensor '", name, "': entry is not a JSON object (got ", value.type_name(), ")");
  for (const auto& item : value.items())
    if (item.key() != "dtype" && item.key() != "shape" && item.key() != "data_offsets")
      fail(path, "tensor '", name, "': unexpected field '", item.key(),
           "' (expected exactly dtype, shape, data_offsets)");
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!value.contains(field)) fail(path, "tensor '", name, "': missing field '", field, "'");

  Entry entry;
  entry.name = name;
  const json& dtype = value.at("dtype");
  if (!dtype.is_string())
    fail(path, "tensor '", name, "': dtype is not a string (got ", brief(dtype), ")");
  const auto parsed_dtype = dtype_from_safetensors(dtype.get<std::string>());
  if (!parsed_dtype)
    fail(path, "tensor '", name, "': unsupported dtype ", brief(dtype),
         " (this engine reads F32 F64 F16 BF16 I32 I64 U8 BOOL)");
  entry.dtype = *parsed_dtype;
  entry.shape = parse_shape(path, name, value.at("shape"));

  const json& offsets = value.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2 || !as_index(offsets[0]) || !as_index(offsets[1]))
    fail(path, "tensor '", name, "': data_offsets ", brief(offsets),
         " is not a pair of non-negative integers [begin, end]");
  entry.begin = *as_index(offsets[0]);
  entry.end = *as_index(offsets[1]);
  if (entry.begin > entry.end)
    fail(path, "tensor '", name, "': data_offsets [", entry.begin, ", ", entry.end,
         "] decrease (begin > end)");
  if (entry.end > data_size)
    fail(path, "tensor '", name, "': data_offsets end ", entry.end, " is beyond the data section (",
         data_size, " bytes after the header; file truncated?)");
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(numel(entry.shape)),
                             dtype_size(entry.dtype), &bytes) ||
      entry.end - entry.begin != bytes)
    fail(path, "tensor '", name, "': data_offsets [", entry.begin, ", ", entry.end, "] hold ",
         entry.end - entry.begin, " bytes but shape ", shape_str(entry.shape), " of ",
         dtype.get<std::string>(), " needs ", numel(entry.shape), " x ", dtype_size(entry.dtype),
         " bytes (size mismatch)");
  return entry;
}

void check_no_overlap(const std::string& path, const std::vector<Entry>& entries) {
  std::vector<const Entry*> ranges;
  for (const auto& e : entries)
    if (e.end > e.begin) ranges.push_back(&e);
  std::sort(ranges.begin(), ranges.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    const Entry& prev = *ranges[i - 1];
    const Entry& cur = *ranges[i];
    if (cur.begin < prev.end)
      fail(path, "tensors '", prev.name, "' [", prev.begin, ", ", prev.end, ") and '", cur.name,
           "' [", cur.begin, ", ", cur.end, ") overlap in the data section");
  }
}

void check_bool_bytes(const std::string& path, const std::string& name, const Tensor& t) {
  const auto* bytes = static_cast<const std::uint8_t*>(t.raw_data());
  for (std::int64_t i = 0; i < t.numel(); ++i)
    if (bytes[i] > 1)
      fail(path, "tensor '", name, "': BOOL element ", i, " has byte value ",
           static_cast<int>(bytes[i]), " (expected 0 or 1)");
}

// ---------------------------------------------------------------- writing

// The temporary file beside the target; removed on scope exit unless it was renamed into place.
class TempFile {
 public:
  explicit TempFile(const std::string& target) {
    static std::atomic<std::uint64_t> counter{0};
    path_ = target + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  }
  ~TempFile() {
    if (committed_) return;
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  void commit() { committed_ = true; }

 private:
  std::string path_;
  bool committed_ = false;
};

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

// ---------------------------------------------------------------- SafetensorsFile

bool SafetensorsFile::contains(const std::string& name) const {
  return std::any_of(tensors.begin(), tensors.end(),
                     [&](const auto& item) { return item.first == name; });
}

const Tensor& SafetensorsFile::at(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  std::string names;
  for (std::size_t i = 0; i < tensors.size() && i < 10; ++i)
    names += (i ? ", " : "") + tensors[i].first;
  if (tensors.size() > 10) names += ", ...";
  fail(path, "no tensor named '", name, "' (the file holds ", tensors.size(), " tensors: ", names,
       ")");
}

// ---------------------------------------------------------------- load

SafetensorsFile load_safetensors(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) fail(path, "file not found");
  if (!std::filesystem::is_regular_file(status)) fail(path, "not a regular file");
  const std::uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) fail(path, "cannot read the file size: ", ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open for reading: ", std::strerror(errno));

  if (file_size < 8)
    fail(path, "file is ", file_size,
         " bytes, shorter than the 8-byte header length (truncated, or not a safetensors file)");
  unsigned char prefix[8];
  read_exact(in, path, 0, prefix, 8, "the header length");
  std::uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = header_size << 8 | prefix[i];
  if (header_size > kMaxHeaderBytes)
    fail(path, "header length ", header_size, " is larger than the ", kMaxHeaderBytes,
         "-byte limit (corrupt, or not a safetensors file)");
  if (header_size > file_size - 8)
    fail(path, "header length ", header_size, " runs past the end of the file (", file_size,
         " bytes in all; truncated?)");
  std::string text(header_size, '\0');
  read_exact(in, path, 8, text.data(), header_size, "the header");
  const json header = parse_header(path, text);
  if (!header.is_object()) fail(path, "header is not a JSON object (got ", header.type_name(), ")");

  // Validate everything before allocating: the ranges lie inside the data section and do not
  // overlap, so the tensors together need at most the file's size.
  const std::uint64_t data_start = 8 + header_size;
  const std::uint64_t data_size = file_size - data_start;
  SafetensorsFile file;
  file.path = path;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {  // keys come sorted: name order
    if (name == kMetadataKey)
      file.metadata = parse_metadata(path, value);
    else
      entries.push_back(parse_entry(path, name, value, data_size));
  }
  check_no_overlap(path, entries);

  for (const auto& e : entries) {
    Tensor t = empty(e.shape, {.dtype = e.dtype});
    if (e.end > e.begin)
      read_exact(in, path, data_start + e.begin, t.raw_data(), e.end - e.begin,
                 "tensor '" + e.name + "'");
    if (e.dtype == DType::b8) check_bool_bytes(path, e.name, t);
    file.tensors.emplace_back(e.name, std::move(t));
  }
  return file;
}

// ---------------------------------------------------------------- save

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, Tensor>> sorted;
  sorted.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    if (name == kMetadataKey)
      fail(path, "cannot save a tensor named '", kMetadataKey,
           "': the name is reserved for the metadata map");
    if (!t.defined())
      fail(path, "tensor '", name, "' is undefined (default-constructed or moved from)");
    if (!t.device().is_cpu())
      fail(path, "tensor '", name, "' is on ", t.device().str(),
           "; move it to the CPU first (.to(Device::cpu()))");
    sorted.emplace_back(name, t.contiguous());
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i].first == sorted[i - 1].first)
      fail(path, "duplicate tensor name '", sorted[i].first, "'");

  json header = json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : sorted) {
    const std::uint64_t bytes = static_cast<std::uint64_t>(t.numel()) * dtype_size(t.dtype());
    header[name] = {{"dtype", safetensors_name(t.dtype())},
                    {"shape", t.shape()},
                    {"data_offsets", json::array({offset, offset + bytes})}};
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {
    fail(path,
         "cannot encode the header (tensor names and metadata must be valid UTF-8): ", e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(text.size() >> (8 * i));

  TempFile tmp(path);
  {
    std::unique_ptr<std::FILE, FileCloser> out(std::fopen(tmp.path().c_str(), "wb"));
    if (!out)
      fail(path, "cannot open temporary file '", tmp.path(),
           "' for writing: ", std::strerror(errno), " (does the folder exist and is it writable?)");
    auto write = [&](const void* data, std::size_t n) {
      if (n > 0 && std::fwrite(data, 1, n, out.get()) != n)
        fail(path, "writing temporary file '", tmp.path(), "' failed: ", std::strerror(errno));
    };
    write(prefix, 8);
    write(text.data(), text.size());
    for (const auto& [name, t] : sorted)
      if (t.numel() > 0)
        write(t.raw_data(), static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()));
    if (std::fflush(out.get()) != 0 || ::fsync(::fileno(out.get())) != 0)
      fail(path, "flushing temporary file '", tmp.path(), "' failed: ", std::strerror(errno));
    if (std::fclose(out.release()) != 0)
      fail(path, "closing temporary file '", tmp.path(), "' failed: ", std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp.path(), path, ec);
  if (ec) fail(path, "cannot rename temporary file '", tmp.path(), "' into place: ", ec.message());
  tmp.commit();
}

}  // namespace engine::io
