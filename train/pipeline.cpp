// The stage table and the driver: data sets are loaded once, the run folder gets config.json,
// then each selected stage runs in pipeline order; eval ends with the results table.
#include "train/pipeline.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "data/coco.h"
#include "data/error.h"
#include "data/shapes/pasted_outliers.h"
#include "train/detector_stage.h"
#include "train/diffusion_training.h"
#include "train/outlier_generation.h"
#include "train/outlier_set.h"
#include "train/results_table.h"
#include "train/run_dir.h"

namespace train {

namespace fs = std::filesystem;

namespace {

// The outlier set of the dreambox stage: --outliers, else what the outliers stage produced, else
// (shapes) the pasted-shapes set, generated once beside the data set.
void resolve_outliers(PipelineContext& ctx) {
  const Options& o = ctx.options;
  if (!o.outliers.empty()) {
    const OutlierSource source = parse_outlier_source(o.outliers);
    ctx.outliers = load_outlier_set(source, ctx.data.train);
    ctx.outliers_name = "outlier set " + source.json;
    return;
  }
  if (ctx.outliers) return;
  if (const auto earlier = existing_outliers(ctx.run_root)) {  // an earlier outliers stage's
    ctx.outliers = load_outlier_set({earlier->json, earlier->image_dir}, ctx.data.train);
    ctx.outliers_name = "diffusion outliers " + earlier->json;
    return;
  }
  if (o.preset != "shapes")
    throw std::runtime_error(
        "dreambox: no outlier data set; pass --outliers JSON[:IMAGE_DIR] (COCO JSON whose "
        "outlier objects have \"ood\": 1) or run the outliers stage");
  const auto layout = data::shapes::pasted_outliers_layout(o.data_root);
  bool cached = false;
  if (fs::exists(layout.json)) {
    data::Diagnostics diag;
    cached = data::read_coco(layout.json, layout.image_dir, diag).images.size() ==
             static_cast<std::size_t>(o.pasted_outliers);
  }
  if (!cached) {
    std::printf("[dreambox] writing the pasted-shapes outlier set (%d images) to %s\n",
                o.pasted_outliers, layout.json.c_str());
    data::shapes::PastedOutliersConfig config;  // seed 0, like the cached data set itself
    config.images = o.pasted_outliers;
    data::shapes::generate_pasted_outliers(ctx.data.train, o.data_root, config);
  }
  ctx.outliers = load_outlier_set({layout.json, layout.image_dir}, ctx.data.train);
  ctx.outliers_name =
      "pasted-shapes outliers (novel kinds heart/ring/ell pasted into ID boxes; a stand-in for "
      "diffusion outliers)";
}

void train_stage(PipelineContext& ctx, const std::string& name) {
  const DetectorVariant& variant = *find_detector_variant(name);
  if (!variant.uses_outliers) {
    train_detector_variant(ctx.options, variant, ctx.data.train, ctx.run_root);
  } else {
    resolve_outliers(ctx);
    std::printf("[%s] outlier set: %s, %zu images\n", name.c_str(), ctx.outliers_name.c_str(),
                ctx.outliers->images.size());
    train_detector_variant(ctx.options, variant, with_outliers(ctx.data.train, *ctx.outliers),
                           ctx.run_root);
  }
}

void eval_stage(PipelineContext& ctx) {
  std::vector<std::pair<std::string, nlohmann::json>> rows;
  for (const auto& variant : detector_variants()) {
    if (!fs::exists(detector_folder(ctx.run_root, variant) + "/checkpoint_last.safetensors"))
      continue;
    rows.emplace_back(variant.name,
                      evaluate_detector_variant(ctx.options, variant, ctx.data, ctx.run_root));
  }
  if (rows.empty())
    throw std::runtime_error("eval: no trained detector in " + ctx.run_root +
                             " (run the vanilla, dreambox or vos stage first)");
  std::vector<std::string> sets;
  for (const auto& [name, set] : ctx.data.ood) sets.push_back(name);
  const std::string table = results_markdown(rows, sets);
  RunDirectory run(ctx.run_root);
  run.write_json("results.json", results_json(rows, sets));
  const std::string md = run.file("results.md");
  {
    std::FILE* f = std::fopen((md + ".tmp").c_str(), "w");
    if (f == nullptr || std::fputs(table.c_str(), f) < 0 || std::fclose(f) != 0)
      throw std::runtime_error("cannot write '" + md + ".tmp'");
  }
  fs::rename(md + ".tmp", md);
  std::printf("\nresults (%s, %s):\n%s", ctx.run_root.c_str(), md.c_str(), table.c_str());
}

std::string default_run_dir(const std::string& preset) {
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + preset + "-" + stamp;
}

}  // namespace

const std::vector<Stage>& pipeline_stages() {
  static const std::vector<Stage> table = {
      {"diffusion", "train the inpainting diffusion model on the ID object crops (<run>/diffusion)",
       [](PipelineContext& c) {
         train_diffusion(c.options, c.run_root, c.data.train,
                         engine::Device::parse(c.options.device));
       }},
      {"outliers",
       "paint Dream-Box outliers into ID boxes with the diffusion model (<run>/outliers)",
       [](PipelineContext& c) {
         const OutlierResult r = generate_outliers(c.options, c.run_root, c.data.train,
                                                   engine::Device::parse(c.options.device));
         c.outliers = load_outlier_set({r.json, r.image_dir}, c.data.train);
         c.outliers_name = "diffusion outliers " + r.json;
       }},
      {"vanilla", "detector on ID data only; OOD score = energy",
       [](PipelineContext& c) { train_stage(c, "vanilla"); }},
      {"dreambox", "detector with the Dream-Box OOD head, trained with the outlier set",
       [](PipelineContext& c) { train_stage(c, "dreambox"); }},
      {"vos", "VOS baseline: virtual outliers from class-conditional Gaussians; OOD score = energy",
       [](PipelineContext& c) { train_stage(c, "vos"); }},
      {"eval", "evaluate every trained detector; results.md / results.json", eval_stage},
  };
  return table;
}

void check_stage_names(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    const auto& table = pipeline_stages();
    const auto it =
        std::find_if(table.begin(), table.end(), [&](const Stage& s) { return s.name == name; });
    if (it == table.end()) {
      std::string known;
      for (const auto& s : table) known += (known.empty() ? "" : ", ") + s.name;
      throw std::invalid_argument("--stages: unknown stage '" + name + "' (stages: " + known + ")");
    }
    if (!it->run)
      throw std::invalid_argument("--stages: stage '" + name + "' (" + it->what +
                                  ") is not built yet");
  }
}

std::vector<std::string> default_stages() {
  std::vector<std::string> names;
  for (const auto& s : pipeline_stages())
    if (s.run) names.push_back(s.name);
  return names;
}

int run_pipeline(const Options& o) {
  if (o.resume && (o.run_dir.empty() || !fs::exists(o.run_dir)))
    throw std::invalid_argument("--resume: needs --run-dir naming an earlier run's folder" +
                                (o.run_dir.empty() ? std::string() : ", got '" + o.run_dir + "'"));
  const std::vector<std::string> selected = o.stages.empty() ? default_stages() : o.stages;
  check_stage_names(selected);
  PipelineContext ctx{o, o.run_dir.empty() ? default_run_dir(o.preset) : o.run_dir,
                      load_data_sets(o), std::nullopt, ""};
  {
    RunDirectory run(ctx.run_root);
    run.write_json("config.json", options_to_json(o));
  }
  std::printf("run folder: %s  (train %zu images, test %zu; device %s)\n", ctx.run_root.c_str(),
              ctx.data.train.images.size(), ctx.data.test.images.size(), o.device.c_str());
  for (const auto& stage : pipeline_stages()) {
    if (std::find(selected.begin(), selected.end(), stage.name) == selected.end()) continue;
    std::printf("\n== stage %s: %s\n", stage.name.c_str(), stage.what.c_str());
    stage.run(ctx);
  }
  return 0;
}

}  // namespace train
