// Diagnostic for the shapes classes (issues 7, 9): can a from-scratch ResNet-18 tell them apart on
// object crops? crops [16, 3, S, S] -> C5 -> spatial mean -> Linear(512, 5), SGD; test accuracy.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "data/coco.h"
#include "data/shapes/generator.h"
#include "engine/autograd.h"
#include "engine/losses.h"
#include "engine/nn/layers.h"
#include "engine/ops.h"
#include "engine/optim/optimizer.h"
#include "engine/random.h"
#include "models/resnet.h"
#include "train/object_crops.h"

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: crop_classifier_probe SHAPES_ROOT frozen|group STEPS LR CROP_SIZE [SEED "
                 "[kaiming]]\n  SHAPES_ROOT: a generated shapes data set (datasets/shapes)\n");
    return 2;
  }
  const std::string root = argv[1];
  const bool group = std::string(argv[2]) == "group";
  const int steps = std::atoi(argv[3]);
  const double lr = std::atof(argv[4]);
  const int size = std::atoi(argv[5]);
  const int seed = argc > 6 ? std::atoi(argv[6]) : 0;
  const int batch = 16;
  const auto layout = data::shapes::shapes_layout(root);
  data::Diagnostics diag;
  const data::Dataset train_set = data::read_coco(layout.trainval_json, layout.image_dir, diag);
  const data::Dataset test_set = data::read_coco(layout.test_json, layout.image_dir, diag);
  train::CropOptions co{.size = size,
                        .random_mask_probability = 0,
                        .full_mask_probability = 0,
                        .null_class_probability = 0};
  const train::ObjectCropSet train_crops(train_set, co, seed);
  co.flip_probability = 0;
  const train::ObjectCropSet test_crops(test_set, co, 99);
  std::printf("train objects %zu test objects %zu\n", train_crops.num_objects(),
              test_crops.num_objects());
  engine::manual_seed(seed + 7);
  auto body = std::make_shared<models::ResNetBody>(
      models::ResNetConfig{.depth = 18, .trainable_layers = 5, .group_norm = group});
  auto fc = std::make_shared<engine::nn::Linear>(512, 5);
  // kaiming: torchvision's ResNet init (normal, fan-out) instead of torch.nn.Conv2d's default.
  if (argc > 7 && std::string(argv[7]) == "kaiming") {
    engine::autograd::NoGradGuard ng;
    for (auto& [name, p] : body->named_parameters())
      if (p.dim() == 4) {
        engine::Tensor w = p;
        engine::normal_(w, 0.0,
                        std::sqrt(2.0 / static_cast<double>(p.size(0) * p.size(2) * p.size(3))),
                        engine::default_generator());
      }
  }
  std::vector<engine::Tensor> params;
  for (auto& p : body->parameters())
    if (p.requires_grad()) params.push_back(p);
  for (auto& p : fc->parameters()) params.push_back(p);
  engine::optim::SGD sgd(params, {.lr = lr, .momentum = 0.9, .weight_decay = 1e-4});
  auto logits_of = [&](const engine::Tensor& x) {
    const auto f = body->features(x);
    return fc->forward(engine::mean(f.back(), {2, 3}));
  };
  const auto start = std::chrono::steady_clock::now();
  for (int step = 1; step <= steps; ++step) {
    const auto b = train_crops.batch(static_cast<std::uint64_t>(step) * batch, batch);
    sgd.zero_grad();
    const auto loss = engine::cross_entropy(logits_of(b.image), b.labels);
    loss.backward();
    sgd.step();
    if (step % 50 == 0 || step == steps) {
      engine::autograd::NoGradGuard ng;
      int right = 0, total = 0;
      for (std::uint64_t i = 0; i < 256; i += 64) {
        const auto t = test_crops.batch(i, 64);
        const auto pred = engine::argmax(logits_of(t.image), 1).to_vector<std::int64_t>();
        const auto lab = t.labels.to_vector<std::int64_t>();
        for (std::size_t k = 0; k < lab.size(); ++k) right += pred[k] == lab[k], ++total;
      }
      std::printf("step %d loss %.3f test acc %d/%d  %.0f s\n", step, loss.item(), right, total,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      std::fflush(stdout);
    }
  }
}
