// The detector on cuda (kernels in the SIMT emulator) against the same detector on the CPU (issue
// 6): FPN features, proposals and detections in eval mode, every loss and a few gradients in train.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/autograd.h"
#include "engine/ops.h"
#include "models/faster_rcnn.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/train/cuda_compare.h"

using namespace engine;

namespace {

// The smallest widths the models take (ResNet-18, FPN 16, box head 32), 3 classes + background,
// no top-k cut of the proposals (fewer anchors than pre_nms_top_n), so that only NMS orders them.
models::FasterRcnnConfig tiny_config(bool vos) {
  models::FasterRcnnConfig c;
  c.backbone = {.depth = 18, .trainable_layers = 5};
  c.fpn_channels = 16;
  c.rpn.pre_nms_top_n_test = c.rpn.pre_nms_top_n_train = 2000;
  c.rpn.post_nms_top_n_test = c.rpn.post_nms_top_n_train = 2000;
  c.rpn.batch_size_per_image = 64;
  c.roi_heads.num_classes = 4;
  c.roi_heads.representation = 32;
  c.roi_heads.batch_size_per_image = 64;
  // VOS: queues of 2 features per class, full after one batch; outliers from the first step on.
  c.roi_heads.vos = vos;
  c.roi_heads.vos_config = {.queue_size = 2, .samples = 64, .start_fraction = 0.0};
  return c;
}

// Fixed weights: the seeded initialisation with spread-out scores.
std::unique_ptr<models::FasterRcnn> tiny_detector(bool vos = false) {
  manual_seed(11);
  auto model = std::make_unique<models::FasterRcnn>(tiny_config(vos));
  cuda_compare::spread_scores(*model);
  return model;
}

// Two images (64x64 and 48x64 in a 64x64 batch): noise with a bright and a dark block.
Tensor tiny_images() {
  Generator gen(5);
  Tensor images = mul(randn({2, 3, 64, 64}, gen), 0.2);
  images.narrow(0, 0, 1).narrow(2, 8, 24).narrow(3, 10, 30).fill_(1.5);
  images.narrow(0, 1, 1).narrow(2, 20, 20).narrow(3, 30, 22).fill_(-1.5);
  images.narrow(0, 1, 1).narrow(2, 48, 16).zero_();  // padding below the 48-row image
  return images;
}

const std::vector<std::array<std::int64_t, 2>> kSizes{{64, 64}, {48, 64}};

std::vector<models::DetectionTargets> tiny_targets(Device device) {
  auto to = [&](const Tensor& t) { return t.to(device); };
  return {{to(from_vector<float>({10, 8, 40, 32, 2, 2, 12, 14}, {2, 4})),
           to(from_vector<std::int64_t>({1, 3})), to(from_vector<bool>({false, true}))},
          {to(from_vector<float>({30, 20, 52, 40}, {1, 4})), to(from_vector<std::int64_t>({2})),
           to(from_vector<bool>({false}))}};
}

using cuda_compare::max_abs;
using cuda_compare::max_diff;

struct EvalResults {
  std::vector<Tensor> features;
  std::vector<Tensor> proposals;
  std::vector<models::Detections> detections;
};

EvalResults run_eval(models::FasterRcnn& model, const Tensor& images) {
  autograd::NoGradGuard no_grad;
  EvalResults r;
  Generator unused(0);
  r.features = model.backbone->pyramid(images);
  r.proposals = model.rpn->forward(r.features, {64, 64}, kSizes, nullptr, unused).proposals;
  r.detections = model.detect(images, kSizes);
  return r;
}

TEST(DetectorOnCuda, EvalMatchesTheCpu) {
  SKIP_WITHOUT_CUDA_BACKEND();
  auto model = tiny_detector();
  model->eval();
  const Tensor images = tiny_images();
  const EvalResults cpu = run_eval(*model, images);
  model->to(Device::cuda());
  const EvalResults cuda = run_eval(*model, images.cuda());
  // f32 sums in another order: features agree to a few ulps of the level's largest value
  // (measured <= 4e-7 of it), boxes to ~1 ulp of 64 px (7.6e-6; measured 7.6e-6), scores and
  // OOD scores to 6e-7, energies to 4e-6: the tolerances leave 10-25x room, no more.
  ASSERT_EQ(cuda.features.size(), cpu.features.size());
  for (std::size_t l = 0; l < cpu.features.size(); ++l)
    cuda_test::expect_matches(cuda.features[l], cpu.features[l], 1e-5 * max_abs(cpu.features[l]), 0,
                              "P" + std::to_string(l + 2));
  for (std::size_t n = 0; n < kSizes.size(); ++n) {
    const std::string image = "image " + std::to_string(n);
    ASSERT_GT(cpu.proposals[n].size(0), 50) << image;
    cuda_test::expect_matches(cuda.proposals[n], cpu.proposals[n], 1e-4, 0, image + " proposals");
    const auto& got = cuda.detections[n];
    const auto& want = cpu.detections[n];
    ASSERT_GT(want.scores.numel(), 10) << image;
    cuda_test::expect_matches(got.boxes, want.boxes, 1e-4, 0, image + " boxes");
    cuda_test::expect_matches(got.labels, want.labels, 0, 0, image + " labels");
    cuda_test::expect_matches(got.scores, want.scores, 1e-5, 0, image + " scores");
    cuda_test::expect_matches(got.ood_scores, want.ood_scores, 1e-5, 0, image + " ood scores");
    cuda_test::expect_matches(got.energies, want.energies, 1e-5, 1e-5, image + " energies");
  }
}

struct TrainResults {
  std::vector<std::pair<std::string, double>> losses;
  std::vector<std::pair<std::string, Tensor>> grads;  // on the CPU
};

// The parameters whose gradients are compared: stem, last backbone stage, FPN, RPN and RoI heads.
const char* kCheckedGrads[] = {"backbone.body.conv1.weight",
                               "backbone.body.layer4.1.conv2.weight",
                               "backbone.fpn.layer_blocks.0.0.weight",
                               "rpn.head.cls_logits.weight",
                               "rpn.head.bbox_pred.weight",
                               "roi_heads.box_head.fc6.weight",
                               "roi_heads.box_predictor.cls_score.weight",
                               "roi_heads.box_predictor.bbox_pred.weight",
                               "roi_heads.ood_head.fc_ood.weight"};

TrainResults run_train(models::FasterRcnn& model, const Tensor& images, Device device) {
  model.train();
  model.zero_grad();
  Generator sampler(3);  // the samplers draw on the host: the same picks on both devices
  // With VOS, a first pass fills the class queues (2 features each) so the second draws outliers.
  if (model.roi_heads->vos) model.losses(images, kSizes, tiny_targets(device), sampler);
  const auto l = model.losses(images, kSizes, tiny_targets(device), sampler);
  l.total().backward();
  TrainResults r;
  r.losses = {{"rpn_objectness", l.rpn_objectness.item()},
              {"rpn_box", l.rpn_box.item()},
              {"classifier", l.classifier.item()},
              {"box", l.box.item()},
              {"ood", l.ood.item()}};
  if (l.vos.defined()) r.losses.emplace_back("vos", l.vos.item());
  for (const auto& [name, p] : model.named_parameters())
    for (const char* checked : kCheckedGrads)
      if (name == checked) r.grads.emplace_back(name, p.grad().cpu());
  return r;
}

// Losses to 1e-6 relative (measured <= 1.2e-7), gradients to 1e-5 of the tensor's largest
// entry (measured <= 4e-7 of it): the same sampled anchors and RoIs, f32 sums in another order.
void expect_same_training(bool vos) {
  // Two copies of the same model (the VOS queues are state: each run starts them empty).
  auto on_cpu = tiny_detector(vos), on_cuda = tiny_detector(vos);
  on_cuda->to(Device::cuda());
  if (vos) {
    on_cpu->roi_heads->vos->set_progress(0, 1);
    on_cuda->roi_heads->vos->set_progress(0, 1);
  }
  const Tensor images = tiny_images();
  const TrainResults cpu = run_train(*on_cpu, images, Device::cpu());
  const TrainResults cuda = run_train(*on_cuda, images.cuda(), Device::cuda());
  ASSERT_EQ(cpu.losses.size(), vos ? 6u : 5u);
  ASSERT_EQ(cuda.losses.size(), cpu.losses.size());
  for (std::size_t i = 0; i < cpu.losses.size(); ++i) {
    EXPECT_GT(cpu.losses[i].second, 0) << cpu.losses[i].first;
    EXPECT_NEAR(cuda.losses[i].second, cpu.losses[i].second, 1e-6 * cpu.losses[i].second)
        << cpu.losses[i].first;
  }
  ASSERT_EQ(cpu.grads.size(), std::size(kCheckedGrads));
  ASSERT_EQ(cuda.grads.size(), cpu.grads.size());
  for (std::size_t i = 0; i < cpu.grads.size(); ++i) {
    const double scale = max_abs(cpu.grads[i].second);
    EXPECT_GT(scale, 0) << cpu.grads[i].first;
    EXPECT_LE(max_diff(cuda.grads[i].second, cpu.grads[i].second), 1e-5 * scale)
        << cpu.grads[i].first;
  }
}

TEST(DetectorOnCuda, TrainLossesAndGradientsMatchTheCpu) {
  SKIP_WITHOUT_CUDA_BACKEND();
  expect_same_training(false);
}

// VOS: queues filled on the device, outliers drawn on the host, the uncertainty loss on cuda.
TEST(DetectorOnCuda, VosLossMatchesTheCpu) {
  SKIP_WITHOUT_CUDA_BACKEND();
  expect_same_training(true);
}

}  // namespace
