// Reading and writing tensors in the safetensors format (weights and checkpoints): an 8-byte
// little-endian header length, a JSON header (name -> dtype/shape/data_offsets), then raw data.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace engine::io {

// Writes `tensors` (CPU, any of f32 f64 f16 bf16 i32 i64 u8 bool; non-contiguous ones are made
// contiguous) and string `metadata` to `path`. The data is laid out in name order and the header
// padded with spaces to a multiple of 8, as the reference writer does. The file is written to a
// temporary file in the same folder and renamed into place, so a crash never leaves a
// half-written file at `path`. Throws engine::Error (naming the file) on duplicate or reserved
// names, undefined or non-CPU tensors and IO failures.
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct SafetensorsFile {
  std::string path;                                     // where it was read from (for messages)
  std::vector<std::pair<std::string, Tensor>> tensors;  // in name order, contiguous, CPU
  std::map<std::string, std::string> metadata;          // the "__metadata__" map, if any

  bool contains(const std::string& name) const;
  // The tensor called `name`; throws engine::Error naming the file and the missing key.
  const Tensor& at(const std::string& name) const;
};

// Reads a whole safetensors file. The file is untrusted: the header is validated completely
// (sizes, dtypes, shapes, offsets inside the data section, no overlaps, no duplicate names,
// string metadata) before any tensor is allocated or read; any problem throws engine::Error
// naming the file, the problem and, where relevant, the tensor.
SafetensorsFile load_safetensors(const std::string& path);

}  // namespace engine::io
