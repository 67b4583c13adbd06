// Detector heads: construction with torchvision's names and initialisation (RPN convs N(0, 0.01),
// predictor/box head as torch.nn.Linear defaults) and their forward passes.
#include "models/heads.h"

#include "engine/autograd.h"
#include "engine/ops.h"

namespace models {

using engine::nn::Conv2d;
using engine::nn::Linear;
using engine::nn::Sequential;

namespace {

std::shared_ptr<Conv2d> normal_conv(std::int64_t in, std::int64_t out, std::int64_t k) {
  auto conv = std::make_shared<Conv2d>(in, out, engine::Pair{k, k},
                                       engine::nn::Conv2dOptions{.padding = {k / 2, k / 2}});
  engine::autograd::NoGradGuard no_grad;
  engine::normal_(conv->weight, 0.0, 0.01, engine::default_generator());
  conv->bias.zero_();
  return conv;
}

// [N, A * C, H, W] -> [N, H * W * A, C] (torchvision's permute_and_flatten order).
Tensor flatten_level(const Tensor& x, std::int64_t anchors, std::int64_t values) {
  const std::int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  return x.view({n, anchors, values, h, w})
      .permute({0, 3, 4, 1, 2})
      .reshape({n, h * w * anchors, values});
}

}  // namespace

RpnHead::RpnHead(std::int64_t channels, std::int64_t anchors_per_location)
    : anchors_(anchors_per_location) {
  // torchvision 0.14 wraps the 3x3 conv as conv.0.0 (a Conv2dNormActivation inside a Sequential).
  auto outer = register_module("conv", std::make_shared<Sequential>());
  auto inner = std::make_shared<Sequential>();
  conv_ = inner->push_back(normal_conv(channels, channels, 3));
  outer->push_back(inner);
  cls_logits_ = register_module("cls_logits", normal_conv(channels, anchors_per_location, 1));
  bbox_pred_ = register_module("bbox_pred", normal_conv(channels, anchors_per_location * 4, 1));
}

std::pair<Tensor, Tensor> RpnHead::level(const Tensor& feature) {
  const Tensor t = engine::relu(conv_->forward(feature));
  return {cls_logits_->forward(t), bbox_pred_->forward(t)};
}

RpnHead::Output RpnHead::predict(const std::vector<Tensor>& features) {
  std::vector<Tensor> objectness, deltas;
  for (const Tensor& f : features) {
    const auto [logits, box] = level(f);
    objectness.push_back(flatten_level(logits, anchors_, 1));
    deltas.push_back(flatten_level(box, anchors_, 4));
  }
  return {engine::cat(objectness, 1).squeeze(2), engine::cat(deltas, 1)};
}

TwoMlpHead::TwoMlpHead(std::int64_t in_features, std::int64_t representation) {
  fc6_ = register_module("fc6", std::make_shared<Linear>(in_features, representation));
  fc7_ = register_module("fc7", std::make_shared<Linear>(representation, representation));
}

Tensor TwoMlpHead::forward(const Tensor& x) {
  return engine::relu(fc7_->forward(engine::relu(fc6_->forward(x.flatten(1)))));
}

BoxPredictor::BoxPredictor(std::int64_t in_features,
                           std::int64_t num_classes,
                           bool background_last) {
  const std::int64_t box_classes = background_last ? num_classes - 1 : num_classes;
  cls_score_ = register_module("cls_score", std::make_shared<Linear>(in_features, num_classes));
  bbox_pred_ = register_module("bbox_pred", std::make_shared<Linear>(in_features, box_classes * 4));
}

BoxPredictor::Output BoxPredictor::predict(const Tensor& x) {
  return {cls_score_->forward(x), bbox_pred_->forward(x)};
}

EnergyOodHead::EnergyOodHead(std::int64_t background_index) : background_index_(background_index) {
  fc_ood_ =
      register_module("fc_ood", std::make_shared<Linear>(1, 1));  // U(-1, 1) init, as in Dream-Box
}

Tensor EnergyOodHead::forward(const Tensor& class_logits) {
  ENGINE_CHECK(class_logits.dim() == 2 && class_logits.size(1) >= 2,
               "EnergyOodHead: logits must be [R, classes >= 2], got ", class_logits.str());
  const std::int64_t classes = class_logits.size(1);
  const std::int64_t bg = background_index_ < 0 ? classes + background_index_ : background_index_;
  ENGINE_CHECK(bg >= 0 && bg < classes, "EnergyOodHead: background index ", background_index_,
               " outside ", classes, " classes");
  // Foreground logits: every column but the background one.
  const Tensor foreground = bg == 0 ? class_logits.narrow(1, 1, classes - 1)
                            : bg == classes - 1
                                ? class_logits.narrow(1, 0, classes - 1)
                                : engine::cat({class_logits.narrow(1, 0, bg),
                                               class_logits.narrow(1, bg + 1, classes - bg - 1)},
                                              1);
  const Tensor energy = engine::logsumexp(foreground, {1}, true);  // [R, 1] = -free energy
  return fc_ood_->forward(energy).squeeze(1);                      // [R]
}

}  // namespace models
