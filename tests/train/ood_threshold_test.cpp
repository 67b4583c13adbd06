// The default OOD threshold of `detect`: the ood_score at 95% ID recall (against a brute-force
// search over candidate thresholds) and its storage in a checkpoint's info metadata.
#include <gtest/gtest.h>

#include <filesystem>

#include <unistd.h>

#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "train/ood_threshold.h"

namespace {

// The smallest candidate t (an observed OOD score) with count(score <= t) >= recall * n.
double brute_force_threshold(const std::vector<data::Detection>& dets,
                             double score,
                             bool energy,
                             double recall) {
  std::vector<double> counted;
  for (const auto& d : dets)
    if (d.score > score) counted.push_back(energy ? d.energy : d.ood_score);
  double best = 1e300;
  for (double t : counted) {
    std::size_t below = 0;
    for (double v : counted) below += v <= t ? 1 : 0;
    if (static_cast<double>(below) >= recall * static_cast<double>(counted.size()) - 1e-12)
      best = std::min(best, t);
  }
  return best;
}

std::vector<data::Detection> random_detections(std::uint64_t seed, int n) {
  engine::Generator gen(seed);
  const auto scores = engine::rand({n}, gen).to_vector<float>();
  const auto ood = engine::rand({n}, gen).to_vector<float>();
  std::vector<data::Detection> dets;
  for (int i = 0; i < n; ++i) {
    data::Detection d;
    d.score = scores[static_cast<std::size_t>(i)];
    // Coarse values so that ties occur.
    d.ood_score = std::round(ood[static_cast<std::size_t>(i)] * 20.0) / 20.0;
    d.energy = -10.0 * d.ood_score + static_cast<double>(i % 3);
    dets.push_back(d);
  }
  return dets;
}

TEST(OodThreshold, MatchesBruteForceSearch) {
  using train::OodScoreSource;
  for (std::uint64_t seed = 0; seed < 6; ++seed)
    for (int n : {1, 7, 20, 101}) {
      const auto dets = random_detections(seed, n);
      for (double score : {0.0, 0.3})
        for (double recall : {0.95, 0.5, 1.0})
          for (bool energy : {false, true}) {
            bool any = false;
            for (const auto& d : dets) any = any || d.score > score;
            if (!any) continue;
            const auto source = energy ? OodScoreSource::energy : OodScoreSource::head;
            EXPECT_DOUBLE_EQ(train::ood_threshold_at_id_recall(dets, score, source, recall),
                             brute_force_threshold(dets, score, energy, recall))
                << "seed " << seed << " n " << n << " score " << score << " recall " << recall
                << " energy " << energy;
          }
    }
}

TEST(OodThreshold, TwentyDetectionsKeepNineteen) {
  std::vector<data::Detection> dets;
  for (int i = 1; i <= 20; ++i) dets.push_back({0, {}, 0, 0.9, 0.01 * i});
  dets.push_back({0, {}, 0, 0.1, 0.99});  // below the score threshold: not counted
  EXPECT_DOUBLE_EQ(train::ood_threshold_at_id_recall(dets, 0.5), 0.19);
  EXPECT_THROW(train::ood_threshold_at_id_recall(dets, 0.95), std::runtime_error);
  EXPECT_THROW(train::ood_threshold_at_id_recall(dets, 0.5, train::OodScoreSource::head, 0.0),
               std::invalid_argument);
}

TEST(OodThreshold, RecordedInSummaryAndCheckpointInfo) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("dreambox_ood_threshold_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "checkpoint_last.safetensors").string();
  const engine::Tensor weight = engine::from_vector<float>({1.5f, -2.0f, 3.25f});
  engine::io::save_safetensors(path, {{"model.w", weight}},
                               {{"info", R"({"depth": 18})"}, {"training", R"({"step": 4})"}});
  std::vector<data::Detection> dets;
  for (int i = 1; i <= 20; ++i) dets.push_back({0, {}, 0, 0.9, 0.01 * i});
  const auto record = train::record_ood_threshold(dets, 0.5, train::OodScoreSource::head, path);
  EXPECT_DOUBLE_EQ(record["value"].get<double>(), 0.19);
  EXPECT_DOUBLE_EQ(record["id_recall"].get<double>(), 0.95);
  EXPECT_EQ(record["ood_score"], "head");
  EXPECT_EQ(record["id_detections"].get<int>(), 20);
  const auto file = engine::io::load_safetensors(path);
  const auto info = nlohmann::json::parse(file.metadata.at("info"));
  EXPECT_EQ(info["depth"], 18);
  EXPECT_DOUBLE_EQ(info["ood_threshold"]["value"].get<double>(), 0.19);
  EXPECT_EQ(file.metadata.at("training"), R"({"step": 4})");
  EXPECT_EQ(file.at("model.w").to_vector<float>(), weight.to_vector<float>());
  // Nothing to measure: an error record, the checkpoint untouched.
  const auto none = train::record_ood_threshold({}, 0.5, train::OodScoreSource::head, path);
  EXPECT_TRUE(none.contains("error"));
  std::filesystem::remove_all(dir);
}

}  // namespace
