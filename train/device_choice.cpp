// --device parsing and its default: the CUDA backend linked into the program decides whether
// cuda is on offer; errors say what was asked, why it cannot be had and what is accepted.
#include "train/device_choice.h"

#include <stdexcept>

#include "engine/cuda_backend.h"

namespace train {

std::string default_device() {
  return engine::cuda_backend::available() ? engine::Device::cuda(0).str() : "cpu";
}

std::string resolve_device(const std::string& text) {
  engine::Device device;
  try {
    device = engine::Device::parse(text);
  } catch (const std::exception&) {
    throw std::invalid_argument("--device: expected cpu, cuda or cuda:N, got '" + text + "'");
  }
  if (device.is_cpu()) return device.str();
  if (!engine::cuda_backend::available())
    throw std::invalid_argument("--device " + text + ": CUDA is not available (" +
                                engine::cuda_backend::description() + "); use --device cpu");
  if (device.index != 0)
    throw std::invalid_argument("--device " + text + ": device index " +
                                std::to_string(device.index) +
                                " out of range: the CUDA backend drives one device, cuda:0 (" +
                                engine::cuda_backend::description() + ")");
  return device.str();
}

const char* device_help() {
  return "cpu, cuda or cuda:N (default: cuda when this build has a usable GPU, else cpu)";
}

}  // namespace train
