// Saving and loading a module's state dict as a safetensors file, with the load report of
// nn::Module::load_state_dict (missing / unexpected / shape-mismatched keys) naming the file.
#pragma once

#include <map>
#include <string>

#include "engine/nn/module.h"

namespace engine::io {

void save_module(const nn::Module& module,
                 const std::string& path,
                 const std::map<std::string, std::string>& metadata = {});

// strict: any mismatch throws (the message names the file and lists every problem);
// otherwise the matching tensors are loaded and the report returned.
nn::LoadReport load_module(nn::Module& module, const std::string& path, bool strict = true);

}  // namespace engine::io
