// save_module / load_module: a module's state dict through safetensors, errors prefixed with
// the file so that a user knows which checkpoint did not fit.
#include "engine/io/checkpoint.h"

#include "engine/io/safetensors.h"

namespace engine::io {

void save_module(const nn::Module& module,
                 const std::string& path,
                 const std::map<std::string, std::string>& metadata) {
  save_safetensors(path, module.state_dict(), metadata);
}

nn::LoadReport load_module(nn::Module& module, const std::string& path, bool strict) {
  const SafetensorsFile file = load_safetensors(path);
  try {
    return module.load_state_dict(file.tensors, strict);
  } catch (const Error& e) {
    throw Error("checkpoint '" + path + "': " + e.what());
  }
}

}  // namespace engine::io
