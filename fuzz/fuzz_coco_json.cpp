// libFuzzer target for the COCO JSON reader: any input must either parse or throw DataError;
// a parsed data set must survive to_coco_json -> parse_coco with the same images and objects.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "data/coco.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  data::Diagnostics diag;
  diag.echo = false;
  data::Dataset ds;
  try {
    ds = data::parse_coco(std::string_view(reinterpret_cast<const char*>(bytes), size), "fuzz.json",
                          "", diag);
  } catch (const data::DataError&) {
    return 0;
  }
  data::Diagnostics again;
  again.echo = false;
  data::Dataset back = data::parse_coco(data::to_coco_json(ds).dump(), "rt.json", "", again);
  if (back.images.size() != ds.images.size() || back.num_objects() != ds.num_objects() ||
      back.categories.size() != ds.categories.size())
    std::abort();
  return 0;
}
