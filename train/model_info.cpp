// Validated reading of a checkpoint's info record (see model_info.h).
#include "train/model_info.h"

#include <stdexcept>

namespace train {

namespace {

class InfoReader {
 public:
  InfoReader(const nlohmann::json& info, const std::string& path) : info_(info), path_(path) {
    if (!info_.is_object())
      throw std::runtime_error("checkpoint '" + path_ +
                               "': its info metadata is not a JSON object");
  }
  const nlohmann::json& field(const char* key) const {
    if (!info_.contains(key))
      throw std::runtime_error("checkpoint '" + path_ + "': info has no '" + key +
                               "' (not a checkpoint written by train_dreambox?)");
    return info_[key];
  }
  template <typename T>
  T integer(const char* key, T lo, T hi) const {
    const auto& v = field(key);
    if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi)
      throw bad(key, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", v);
    return static_cast<T>(v.get<long long>());
  }
  std::string text(const char* key, std::initializer_list<const char*> accepted) const {
    const auto& v = field(key);
    if (v.is_string())
      for (const char* a : accepted)
        if (v.get<std::string>() == a) return a;
    std::string list;
    for (const char* a : accepted) list += (list.empty() ? "" : ", ") + std::string(a);
    throw bad(key, "one of " + list, v);
  }
  bool flag(const char* key) const {
    const auto& v = field(key);
    if (!v.is_boolean()) throw bad(key, "true or false", v);
    return v.get<bool>();
  }
  double real(const char* key, double lo, double hi) const {
    const auto& v = field(key);
    if (!v.is_number() || !(v.get<double>() >= lo && v.get<double>() <= hi))
      throw bad(key, "a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", v);
    return v.get<double>();
  }
  std::vector<std::string> names(const char* key) const {
    const auto& v = field(key);
    std::vector<std::string> out;
    if (v.is_array())
      for (const auto& x : v)
        if (x.is_string() && !x.get<std::string>().empty()) out.push_back(x.get<std::string>());
    if (out.empty() || out.size() != v.size()) throw bad(key, "a non-empty list of names", v);
    return out;
  }
  bool has(const char* key) const { return info_.contains(key); }

 private:
  std::runtime_error bad(const char* key,
                         const std::string& expected,
                         const nlohmann::json& v) const {
    return std::runtime_error("checkpoint '" + path_ + "': info field '" + key + "' must be " +
                              expected + ", got " + v.dump());
  }
  const nlohmann::json& info_;
  const std::string& path_;
};

}  // namespace

CheckpointModel model_from_info(const nlohmann::json& info, const std::string& path) {
  const InfoReader r(info, path);
  CheckpointModel m;
  Options& o = m.options;
  o.preset = r.text("preset", {"shapes", "voc"});
  o.depth = r.integer<int>("depth", 18, 101);
  if (o.depth != 18 && o.depth != 34 && o.depth != 50 && o.depth != 101)
    throw std::runtime_error("checkpoint '" + path +
                             "': info field 'depth' must be 18, 34, 50 or 101");
  o.trainable_layers = r.integer<int>("trainable_layers", 0, 5);
  o.norm = r.has("norm") ? r.text("norm", {"frozen", "group"}) : "frozen";
  o.detector_variant = r.has("detector_variant")
                           ? r.text("detector_variant", {"torchvision", "mmdet"})
                           : "torchvision";
  o.fpn_channels = r.integer<std::int64_t>("fpn_channels", 8, 1024);
  o.representation = r.integer<std::int64_t>("representation", 16, 4096);
  o.test_size = r.integer<int>("test_size", 32, 4096);
  o.max_size = r.integer<int>("max_size", 32, 8192);
  o.ood_head = r.flag("ood_head");
  o.ood_gt_mode = r.text("ood_gt_mode", {"intended", "faithful"});
  if (r.has("ood_score_threshold")) o.ood_score_threshold = r.real("ood_score_threshold", 0.0, 1.0);
  m.classes = r.names("classes");
  m.score = o.ood_head ? OodScoreSource::head : OodScoreSource::energy;
  if (r.has("ood_score"))
    m.score = r.text("ood_score", {"head", "energy"}) == std::string("head")
                  ? OodScoreSource::head
                  : OodScoreSource::energy;
  m.info = info;
  return m;
}

}  // namespace train
