// The flag table of train_dreambox's training presets and its parser (train/flags.h). Every flag
// is listed once, with a default shown by --help and a setter that validates the value.
#include "train/options.h"

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "models/ddim.h"
#include "models/unet.h"
#include "train/device_choice.h"
#include "train/flags.h"
#include "train/pipeline.h"

namespace train {

namespace {

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> parts;
  std::stringstream in(v);
  std::string part;
  while (std::getline(in, part, ','))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

std::string stage_list() {
  std::string s;
  for (const auto& stage : pipeline_stages()) s += (s.empty() ? "" : ", ") + stage.name;
  return s;
}

const std::vector<Flag<Options>>& flags() {
  static const std::vector<Flag<Options>> table = {
      text("data-root", "data folder (shapes: generated there once; voc: holds VOCdevkit/)",
           &Options::data_root),
      text("run-dir", "output folder (default runs/<preset>-<time>)", &Options::run_dir),
      {"device", device_help(),
       [](Options& o, const std::string& v) { o.device = resolve_device(v); },
       [](const Options& o) { return o.device; }},
      {"depth", "ResNet depth: 18, 34, 50 or 101",
       [](Options& o, const std::string& v) {
         const auto d = to_integer("depth", v, 18, 101);
         if (d != 18 && d != 34 && d != 50 && d != 101)
           throw std::invalid_argument("--depth: expected 18, 34, 50 or 101, got '" + v + "'");
         o.depth = static_cast<int>(d);
       },
       [](const Options& o) { return std::to_string(o.depth); }},
      integer("trainable-layers", "backbone stages that train (0-5)", &Options::trainable_layers, 0,
              5),
      {"norm", "backbone normalisation: frozen (torchvision FrozenBatchNorm2d) or group",
       [](Options& o, const std::string& v) {
         if (v != "frozen" && v != "group")
           throw std::invalid_argument("--norm: expected frozen or group, got '" + v + "'");
         o.norm = v;
       },
       [](const Options& o) { return o.norm; }},
      choice("detector-variant",
             "torchvision (default settings) or mmdet (the paper's MMDetection switches: L1 box "
             "losses, 1000 post-NMS training proposals, aligned adaptive RoIAlign, trainable "
             "norm affine in stages 2-4, background class last)",
             &Options::detector_variant, {"torchvision", "mmdet"}),
      integer("fpn-channels", "FPN width", &Options::fpn_channels, 8, 1024),
      integer("representation", "box-head width", &Options::representation, 16, 4096),
      integer("epochs", "training epochs", &Options::epochs, 0, 1000),
      integer("max-steps", "stop after this many steps (0 = run all epochs)", &Options::max_steps,
              0, 100000000),
      integer("batch-size", "images per step", &Options::batch_size, 1, 256),
      real("lr", "learning rate", &Options::lr, 0.0, 10.0),
      real("momentum", "SGD momentum", &Options::momentum, 0.0, 0.999),
      real("weight-decay", "SGD weight decay", &Options::weight_decay, 0.0, 1.0),
      integer("warmup-steps", "linear warmup steps", &Options::warmup_steps, 0, 100000000),
      {"train-sizes", "short sides drawn per training image, comma separated",
       [](Options& o, const std::string& v) {
         std::vector<int> sizes;
         std::stringstream in(v);
         std::string part;
         while (std::getline(in, part, ','))
           sizes.push_back(static_cast<int>(to_integer("train-sizes", part, 32, 4096)));
         if (sizes.empty())
           throw std::invalid_argument("--train-sizes: expected sizes like 480,512,544");
         o.train_sizes = sizes;
       },
       [](const Options& o) {
         std::string s;
         for (int x : o.train_sizes) s += (s.empty() ? "" : ",") + std::to_string(x);
         return s;
       }},
      integer("test-size", "short side at evaluation", &Options::test_size, 32, 4096),
      {"unet", "diffusion UNet preset: cpu-demo (32 px, ~1M parameters) or gpu-base (64 px, ~52M)",
       [](Options& o, const std::string& v) {
         if (v != "cpu-demo" && v != "gpu-base")
           throw std::invalid_argument("--unet: expected cpu-demo or gpu-base, got '" + v + "'");
         o.unet = v;
       },
       [](const Options& o) { return o.unet; }},
      integer("diffusion-size", "diffusion crop resolution (0 = the UNet preset's)",
              &Options::diffusion_size, 0, 1024),
      integer("diffusion-steps", "diffusion training steps", &Options::diffusion_steps, 1,
              100000000),
      integer("diffusion-batch-size", "crops per diffusion training step",
              &Options::diffusion_batch_size, 1, 4096),
      real("diffusion-lr", "diffusion AdamW learning rate", &Options::diffusion_lr, 0.0, 1.0),
      real("ema-decay", "EMA decay of the diffusion weights", &Options::ema_decay, 0.0, 1.0),
      real("grad-clip", "diffusion gradient-norm clip (0 = off)", &Options::grad_clip, 0.0, 1e6),
      real("min-snr", "Min-SNR-gamma weighting of the diffusion loss (0 = plain MSE)",
           &Options::min_snr_gamma, 0.0, 1e6),
      {"prediction",
       "what the diffusion UNet predicts: v (velocity; well-conditioned x0 at high noise) or eps",
       [](Options& o, const std::string& v) {
         if (v != "v" && v != "eps")
           throw std::invalid_argument("--prediction: expected v or eps, got '" + v + "'");
         o.prediction = v;
       },
       [](const Options& o) { return o.prediction; }},
      {"beta-schedule", "diffusion noise schedule: cosine, linear or scaled-linear",
       [](Options& o, const std::string& v) {
         if (v != "cosine" && v != "linear" && v != "scaled-linear")
           throw std::invalid_argument(
               "--beta-schedule: expected cosine, linear or scaled-linear, got '" + v + "'");
         o.beta_schedule = v;
       },
       [](const Options& o) { return o.beta_schedule; }},
      integer("outlier-images", "ID training images that get Dream-Box outliers",
              &Options::outlier_images, 0, 100000000),
      real("outlier-min-area", "objects larger than this (px^2) are inpainted",
           &Options::outlier_min_area, 0.0, 1e12),
      real("outlier-std", "std of the class-embedding noise, relative to the embedding RMS",
           &Options::outlier_std, 0.0, 1e6),
      real("guidance", "classifier-free guidance scale of outlier generation", &Options::guidance,
           0.0, 1e6),
      integer("ddim-steps", "DDIM steps of outlier generation", &Options::ddim_steps, 1, 10000),
      choice("cuda-graph",
             "outlier generation on cuda runs each DDIM sampling loop as one captured CUDA graph "
             "(same numbers as eager): on or off (no effect on cpu)",
             &Options::cuda_graph, {"on", "off"}),
      integer("max-size", "longest side limit", &Options::max_size, 32, 8192),
      integer("workers", "data loader threads", &Options::workers, 1, 64),
      integer("seed", "seed of data order, augmentation and sampling", &Options::seed, 0,
              1LL << 62),
      integer("checkpoint-every", "steps between checkpoints", &Options::checkpoint_every, 1,
              100000000),
      real("ood-score-thresh",
           "class score above which detections enter the OOD metrics (voc: 0.5 as the paper)",
           &Options::ood_score_threshold, 0.0, 1.0),
      {"ood-gt-mode",
       "intended (ground-truth proposals keep their ood flag) or faithful (released code: 0)",
       [](Options& o, const std::string& v) {
         if (v != "intended" && v != "faithful")
           throw std::invalid_argument("--ood-gt-mode: expected intended or faithful, got '" + v +
                                       "'");
         o.ood_gt_mode = v;
       },
       [](const Options& o) { return o.ood_gt_mode; }},
      {"stages", "pipeline stages to run, comma separated, from: " + stage_list(),
       [](Options& o, const std::string& v) {
         o.stages = split_list(v);
         if (o.stages.empty())
           throw std::invalid_argument(
               "--stages: expected names like vanilla,eval (from: " + stage_list() + ")");
         check_stage_names(o.stages);
       },
       [](const Options& o) {
         std::string s;
         for (const auto& x : o.stages.empty() ? default_stages() : o.stages)
           s += (s.empty() ? "" : ",") + x;
         return s;
       }},
      {"outliers",
       "outlier set of the dreambox stage: COCO JSON with \"ood\": 1 on outlier objects, "
       "JSON[:IMAGE_DIR] (images next to the JSON by default)",
       [](Options& o, const std::string& v) {
         if (v.empty()) throw std::invalid_argument("--outliers: expected JSON[:IMAGE_DIR]");
         o.outliers = v;
       },
       [](const Options& o) { return o.outliers; }},
      integer("pasted-outliers",
              "shapes: images in the pasted-shapes outlier set (used when no other outlier set "
              "is given)",
              &Options::pasted_outliers, 1, 100000),
      integer("vos-queue", "VOS: box-head features queued per class", &Options::vos_queue, 2,
              1000000),
      integer("vos-samples", "VOS: Gaussian draws per class; the least likely one is kept",
              &Options::vos_samples, 1, 100000000),
      real("vos-start", "VOS: share of the planned steps before virtual outliers (12k of 18k)",
           &Options::vos_start, 0.0, 1.0),
      real("vos-loss-weight", "VOS: weight of the uncertainty loss", &Options::vos_loss_weight, 0.0,
           100.0),
      toggle("resume",
             "require --run-dir to hold an earlier run (stages always continue from their outputs)",
             &Options::resume, true),
      {"eval-only", "same as --stages eval",
       [](Options& o, const std::string&) { o.stages = {"eval"}; },
       [](const Options& o) {
         return std::string(o.stages == std::vector<std::string>{"eval"} ? "on" : "off");
       },
       true},
      text("weights", "train_dreambox checkpoint the detector trainings start from",
           &Options::weights),
      {"init-weights",
       "torchvision-named safetensors the detector trainings start from (scripts/"
       "convert_torchvision.py: ImageNet ResNet or a whole Faster R-CNN; a predictor for "
       "another number of classes is reinitialised)",
       [](Options& o, const std::string& v) {
         if (!std::filesystem::is_regular_file(v))
           throw std::invalid_argument("--init-weights " + v + ": no such file");
         o.init_weights = v;
       },
       [](const Options& o) { return o.init_weights; }},
  };
  return table;
}

}  // namespace

void check_diffusion_resolution(const Options& o) {
  const models::UNetConfig unet = models::UNetConfig::preset(o.unet);
  const std::int64_t factor = std::int64_t{1} << (unet.channel_mult.size() - 1);
  if (o.diffusion_size != 0 && o.diffusion_size % factor != 0)
    throw std::invalid_argument("--diffusion-size: " + std::to_string(o.diffusion_size) +
                                " is not divisible by the downsampling factor " +
                                std::to_string(factor) + " of the " + o.unet +
                                " UNet; use a multiple of " + std::to_string(factor));
}

void check_detector_choices(const Options& o) {
  if (!o.weights.empty() && !o.init_weights.empty())
    throw std::invalid_argument(
        "--weights and --init-weights exclude each other: --weights continues from a "
        "train_dreambox checkpoint, --init-weights starts from torchvision-named weights");
  if (o.detector_variant == "mmdet" && o.norm == "group")
    throw std::invalid_argument(
        "--detector-variant mmdet trains the batch-norm affine of the backbone; it cannot be "
        "combined with --norm group");
}

Options parse_options(int argc, const char* const* argv, bool& help_requested) {
  help_requested = false;
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      help_requested = true;
      return o;
    }
  if (args.empty() || args[0].rfind("--", 0) == 0)
    throw std::invalid_argument(
        "missing preset: usage: train_dreambox PRESET [--flag value ...], PRESET = shapes | voc");
  o.preset = args[0];
  o.device = default_device();  // --device overrides it
  if (o.preset != "shapes" && o.preset != "voc")
    throw std::invalid_argument("unknown preset '" + o.preset + "' (accepted: shapes, voc)");
  o.data_root = o.preset == "shapes" ? "datasets/shapes" : "datasets";
  if (o.preset == "voc") {  // the paper's setting (torchvision layout, MMDet schedule intent)
    o.ood_score_threshold = 0.5;
    o.depth = 50;
    o.trainable_layers = 3;
    o.fpn_channels = 256;
    o.representation = 1024;
    o.epochs = 18;
    o.batch_size = 16;
    o.lr = 0.02;
    o.warmup_steps = 500;
    o.train_sizes.clear();
    for (int side = 480; side <= 800; side += 32) o.train_sizes.push_back(side);
    o.test_size = 800;
    o.max_size = 1333;
    o.workers = 2;
    o.unet = "gpu-base";
    o.diffusion_steps = 30000;
    o.diffusion_batch_size = 128;
    o.diffusion_lr = 2e-4;
    o.ema_decay = 0.9999;
    o.outlier_images = 5000;
    o.outlier_min_area = 2000;  // Dream-Box: boxes of more than 2000 px are inpainted
    o.ddim_steps = 50;
  }
  apply_flags(flags(), args, 1, o, "train_dreambox --help");
  check_diffusion_resolution(o);
  check_detector_choices(o);
  return o;
}

std::string options_help() {
  std::ostringstream out;
  out << "usage: train_dreambox PRESET [--flag value ...]\n"
         "  PRESET  shapes: synthetic data set generated on first use, runs on a CPU in minutes\n"
         "          voc:    PASCAL VOC 07+12 (needs --data-root with VOCdevkit/; GPU pipeline in "
         "progress)\n\n"
         "flags (defaults of the shapes preset):\n";
  Options defaults;
  defaults.data_root = "datasets/shapes";
  defaults.device = default_device();
  out << flags_help(flags(), defaults)
      << "\nother commands:\n  train_dreambox detect --weights FILE --images PATH ...   "
         "run a detector on your own images (train_dreambox detect --help)\n";
  return out.str();
}

nlohmann::json options_to_json(const Options& o) {
  return {{"preset", o.preset},
          {"data_root", o.data_root},
          {"device", o.device},
          {"depth", o.depth},
          {"trainable_layers", o.trainable_layers},
          {"norm", o.norm},
          {"detector_variant", o.detector_variant},
          {"init_weights", o.init_weights},
          {"fpn_channels", o.fpn_channels},
          {"representation", o.representation},
          {"epochs", o.epochs},
          {"max_steps", o.max_steps},
          {"batch_size", o.batch_size},
          {"lr", o.lr},
          {"momentum", o.momentum},
          {"weight_decay", o.weight_decay},
          {"warmup_steps", o.warmup_steps},
          {"train_sizes", o.train_sizes},
          {"test_size", o.test_size},
          {"max_size", o.max_size},
          {"seed", o.seed},
          {"ood_head", o.ood_head},
          {"ood_gt_mode", o.ood_gt_mode},
          {"ood_score_threshold", o.ood_score_threshold},
          {"vos", o.vos},
          {"vos_queue", o.vos_queue},
          {"vos_samples", o.vos_samples},
          {"vos_start", o.vos_start},
          {"vos_loss_weight", o.vos_loss_weight},
          {"outliers", o.outliers},
          {"pasted_outliers", o.pasted_outliers},
          {"unet", o.unet},
          {"diffusion_size", o.diffusion_size},
          {"diffusion_steps", o.diffusion_steps},
          {"diffusion_batch_size", o.diffusion_batch_size},
          {"diffusion_lr", o.diffusion_lr},
          {"ema_decay", o.ema_decay},
          {"grad_clip", o.grad_clip},
          {"beta_schedule", o.beta_schedule},
          {"prediction", o.prediction},
          {"min_snr_gamma", o.min_snr_gamma},
          {"outlier_images", o.outlier_images},
          {"outlier_min_area", o.outlier_min_area},
          {"outlier_std", o.outlier_std},
          {"guidance", o.guidance},
          {"ddim_steps", o.ddim_steps},
          {"cuda_graph", o.cuda_graph},
          {"stages", o.stages.empty() ? default_stages() : o.stages}};
}

}  // namespace train
