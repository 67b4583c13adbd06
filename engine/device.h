// Where a tensor lives: the CPU or CUDA device N. Parsed from and printed as "cpu" / "cuda:N",
// as in PyTorch. The CPU-only build still carries the CUDA kind so code can name it.
#pragma once

#include <string>

namespace engine {

struct Device {
  enum class Kind { cpu, cuda };
  Kind kind = Kind::cpu;
  int index = 0;

  static Device cpu() { return {}; }
  static Device cuda(int index = 0) { return {Kind::cuda, index}; }
  static Device parse(const std::string& text);  // "cpu", "cuda", "cuda:1"; throws otherwise

  bool is_cpu() const { return kind == Kind::cpu; }
  bool is_cuda() const { return kind == Kind::cuda; }
  std::string str() const;
  bool operator==(const Device&) const = default;
};

}  // namespace engine
