// libFuzzer target for the VOC annotation reader: any input must either parse or throw DataError;
// a parsed annotation must survive write_voc_xml -> parse_voc_xml unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "data/voc.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  data::Diagnostics diag;
  diag.echo = false;
  data::VocAnnotation a;
  try {
    a = data::parse_voc_xml(std::string_view(reinterpret_cast<const char*>(bytes), size),
                            "fuzz.xml", data::voc_classes(), diag);
  } catch (const data::DataError&) {
    return 0;
  }
  data::Diagnostics again;
  again.echo = false;
  data::VocAnnotation b = data::parse_voc_xml(data::write_voc_xml(a, data::voc_classes(), "fuzz"),
                                              "rt.xml", data::voc_classes(), again);
  if (b.objects.size() != a.objects.size() || b.width != a.width || b.height != a.height)
    std::abort();
  for (std::size_t i = 0; i < a.objects.size(); ++i)
    if (!(a.objects[i].box == b.objects[i].box) || a.objects[i].label != b.objects[i].label)
      std::abort();
  return 0;
}
