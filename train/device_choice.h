// Which device train_dreambox and detect run on: --device cpu | cuda | cuda:N, default cuda when
// the linked CUDA backend has a usable GPU (or the emulator, in tests), else cpu.
#pragma once

#include <string>

#include "engine/device.h"

namespace train {

// "cuda:0" when engine::cuda_backend::available(), else "cpu".
std::string default_device();
// The effective device name ("cpu" or "cuda:N") for --device TEXT; throws std::invalid_argument
// naming --device for bad text, cuda without a usable backend (with the backend's description)
// and an index other than 0 (the backend drives one device, cuda:0).
std::string resolve_device(const std::string& text);
// The --device help line.
const char* device_help();

}  // namespace train
