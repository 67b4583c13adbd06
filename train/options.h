// Command-line options of train_dreambox: one table of flags (name, default, help) per run,
// parsed with errors that name the flag and what is accepted; presets set the defaults.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace train {

struct Options {
  std::string preset;     // "shapes" or "voc"
  std::string data_root;  // shapes: generated here (cached); voc: the VOCdevkit parent
  std::string run_dir;    // runs/<preset>-<time> when empty
  // Effective device, "cpu" or "cuda:N" (train/device_choice.h); parse_options defaults it to
  // cuda when a GPU is usable. Every stage takes it from here.
  std::string device = "cpu";
  int depth = 18;  // ResNet depth
  int trainable_layers = 5;
  std::string norm = "frozen";  // backbone norm: frozen (torchvision) or group
  // torchvision (default) or mmdet: models::mmdet_variant's switches (L1 box losses, 1000
  // post-NMS training proposals, aligned adaptive RoIAlign, trainable norm affine, background
  // last).
  std::string detector_variant = "torchvision";
  // Detections above this class score enter the OOD metrics: the paper's 0.5 for voc; 0.3 for
  // shapes, whose minutes-long from-scratch training gives less confident scores.
  double ood_score_threshold = 0.3;
  std::int64_t fpn_channels = 64;
  std::int64_t representation = 256;
  int epochs = 2;  // per detector (shapes: three detectors keep the default run near 15 min)
  std::int64_t max_steps = 0;  // stop after this many steps (0 = all epochs)
  int batch_size = 2;
  double lr = 0.02;
  double momentum = 0.9;
  double weight_decay = 1e-4;
  std::int64_t warmup_steps = 100;
  std::vector<int> train_sizes{160, 192, 224};  // short sides drawn per image
  int test_size = 192;
  int max_size = 288;
  int workers = 1;
  // Diffusion stage (inpainting UNet trained on the ID object crops).
  std::string unet = "cpu-demo";       // UNet preset: cpu-demo or gpu-base
  std::int64_t diffusion_size = 0;     // crop / UNet resolution (0 = the preset's)
  std::int64_t diffusion_steps = 600;  // optimizer steps (shapes: ~4 min on 2 idle cores)
  int diffusion_batch_size = 16;
  double diffusion_lr = 1e-3;            // AdamW, after a linear warmup
  double ema_decay = 0.995;              // EMA of the weights (with diffusers' warm-up)
  std::string prediction = "v";          // what the UNet predicts: v (velocity) or eps
  double min_snr_gamma = 5;              // Min-SNR loss weighting (0 = plain MSE)
  double grad_clip = 1.0;                // global gradient norm limit (0 = off)
  std::string beta_schedule = "cosine";  // cosine, linear or scaled-linear (T = 1000)
  // Outlier generation stage (Dream-Box).
  int outlier_images = 40;        // ID training images that get outliers
  double outlier_min_area = 450;  // objects larger than this (px^2) are inpainted
  double outlier_std = 2.5;       // embedding noise, relative to the class table's RMS
  double guidance = 12;           // classifier-free guidance scale s
  int ddim_steps = 25;
  // On a cuda device the outliers stage samples each batch shape's DDIM loop as one captured CUDA
  // graph (models/inpaint_graph.h): "on" (default; no effect on cpu) or "off" (the eager loop).
  std::string cuda_graph = "on";
  std::uint64_t seed = 0;
  std::int64_t checkpoint_every = 200;  // steps
  bool ood_head = true;
  std::string ood_gt_mode = "intended";  // or "faithful" (released code: gt proposals get ood = 0)
  std::vector<std::string> stages;       // pipeline stages to run (empty = every built stage)
  // VOS baseline (defaults from VOS's vos.yaml / roihead_gmm.py).
  std::int64_t vos_queue = 1000;     // box-head features kept per class
  std::int64_t vos_samples = 10000;  // Gaussian draws per class and step
  double vos_start = 2.0 / 3.0;      // share of the planned steps before outliers are drawn
  double vos_loss_weight = 0.1;
  bool vos = false;           // set by the vos stage
  std::string outliers;       // "JSON[:IMAGE_DIR]": outlier set for the dreambox stage
  int pasted_outliers = 120;  // shapes: images of the pasted-shapes outlier set
  bool resume = false;
  std::string weights;       // a checkpoint the detector trainings start from
  std::string init_weights;  // torchvision-named safetensors the detectors start from
};

// Parses argv (argv[1] is the preset); throws std::invalid_argument with a message that says
// which flag was wrong and what is accepted. `--help` sets help_requested.
Options parse_options(int argc, const char* const* argv, bool& help_requested);
std::string options_help();  // every flag with its default and meaning
// The effective settings as JSON (config.json, checkpoint info).
nlohmann::json options_to_json(const Options& options);
// Throws std::invalid_argument when --diffusion-size is not a multiple of the UNet's
// downsampling factor (parse_options calls it).
void check_diffusion_resolution(const Options& options);
// Throws std::invalid_argument for detector flags that exclude each other (--weights with
// --init-weights, --detector-variant mmdet with --norm group); parse_options calls it.
void check_detector_choices(const Options& options);

}  // namespace train
