// RoI heads: training samples proposals (+ ground truth) against the targets and computes
// torchvision's losses plus Dream-Box's OOD focal loss; inference decodes class-specific boxes,
// keeps confident ones and runs per-class NMS, carrying each RoI's OOD score along. On cuda the
// matching and sampling run on the host (IoU, labels and OOD flags are read back, see matcher.h);
// the chosen indices and targets go back to the features' device.
#include "models/roi_heads.h"

#include "engine/autograd.h"
#include "engine/detection_ops.h"
#include "engine/losses.h"
#include "engine/ops.h"
#include "engine/select_ops.h"
#include "models/matcher.h"

namespace models {

using engine::Tensor;

namespace {
constexpr engine::BoxWeights kRoiWeights{10.0, 10.0, 5.0, 5.0};
const std::vector<double> kScales{0.25, 0.125, 0.0625, 0.03125};  // P2..P5

// Per-image training samples: proposals with their class label, regression target and OOD target.
struct Sample {
  Tensor proposals;  // [S, 4]
  std::vector<std::int64_t> labels;
  Tensor regression;  // [S, 4]
  std::vector<float> ood;
};
}  // namespace

RoiHeads::RoiHeads(const RoiHeadsConfig& config, std::int64_t channels) : config_(config) {
  box_head = register_module(
      "box_head", std::make_shared<TwoMlpHead>(channels * config.pool_size * config.pool_size,
                                               config.representation));
  box_predictor = register_module(
      "box_predictor", std::make_shared<BoxPredictor>(config.representation, config.num_classes,
                                                      config.background_last));
  if (config.ood_head)
    ood_head = register_module("ood_head",
                               std::make_shared<EnergyOodHead>(config.background_last ? -1 : 0));
  if (config.vos)
    vos = register_module(
        "vos", std::make_shared<VirtualOutliers>(config.num_classes - 1, config.representation,
                                                 config.vos_config));
}

std::int64_t RoiHeads::column(std::int64_t label) const {
  if (!config_.background_last) return label;
  return label == 0 ? config_.num_classes - 1 : label - 1;
}

RoiHeads::Scores RoiHeads::score(const std::vector<Tensor>& features,
                                 const std::vector<Tensor>& proposals) {
  const std::vector<Tensor> levels(features.begin(), features.begin() + 4);
  const Tensor pooled =
      engine::multi_scale_roi_align(levels, engine::boxes_to_rois(proposals), kScales,
                                    {config_.pool_size, config_.pool_size}, config_.sampling_ratio,
                                    config_.aligned);     // [R, C, 7, 7]
  const Tensor box_features = box_head->forward(pooled);  // [R, representation]
  const auto out = box_predictor->predict(box_features);
  return {out.class_logits, out.box_deltas,
          ood_head ? ood_head->forward(out.class_logits) : Tensor(), box_features};
}

RoiHeadsOutput RoiHeads::forward(const std::vector<Tensor>& features,
                                 std::vector<Tensor> proposals,
                                 const std::vector<std::array<std::int64_t, 2>>& image_sizes,
                                 const std::vector<DetectionTargets>* targets,
                                 engine::Generator& gen) {
  ENGINE_CHECK(features.size() >= 4, "RoiHeads: need the P2..P5 feature maps, got ",
               features.size());
  ENGINE_CHECK(proposals.size() == image_sizes.size(), "RoiHeads: ", proposals.size(),
               " proposal lists for ", image_sizes.size(), " images");
  RoiHeadsOutput result;
  if (targets == nullptr) {
    engine::autograd::NoGradGuard no_grad;
    result.detections = postprocess(score(features, proposals), proposals, image_sizes);
    return result;
  }
  ENGINE_CHECK(targets->size() == proposals.size(), "RoiHeads: ", targets->size(),
               " target lists for ", proposals.size(), " images");
  std::vector<Sample> samples;
  for (std::size_t n = 0; n < proposals.size(); ++n) {
    const DetectionTargets& t = (*targets)[n];
    const std::int64_t gts = t.boxes.defined() ? t.boxes.size(0) : 0;
    const std::int64_t own = proposals[n].size(0);
    // Ground-truth boxes join the proposals (their OOD flag kept or not, see the config).
    const Tensor candidates = gts > 0 ? engine::cat({proposals[n], t.boxes}, 0) : proposals[n];
    const Tensor matches =
        match(gts > 0 ? engine::box_iou(t.boxes, candidates) : Tensor(), candidates.size(0),
              config_.foreground_iou, config_.background_iou, false);
    const auto m = matches.to_vector<std::int64_t>();
    const auto gt_labels = gts > 0 ? t.labels.to(engine::DType::i64).to_vector<std::int64_t>()
                                   : std::vector<std::int64_t>{};
    const auto gt_ood = gts > 0 && t.ood.defined()
                            ? t.ood.to(engine::DType::i64).to_vector<std::int64_t>()
                            : std::vector<std::int64_t>(static_cast<std::size_t>(gts), 0);
    std::vector<std::int64_t> labels(m.size());
    for (std::size_t i = 0; i < m.size(); ++i)
      labels[i] =
          m[i] >= 0 ? gt_labels[static_cast<std::size_t>(m[i])] : (m[i] == kBelowLow ? 0 : -1);
    const SampledIndices s =
        sample_balanced(labels, config_.batch_size_per_image, config_.positive_fraction, gen);
    std::vector<std::int64_t> chosen = s.positive, matched;
    chosen.insert(chosen.end(), s.negative.begin(), s.negative.end());
    Sample sample;
    for (auto i : chosen) {
      const std::int64_t gt = std::max<std::int64_t>(m[static_cast<std::size_t>(i)], 0);
      matched.push_back(gt);
      sample.labels.push_back(labels[static_cast<std::size_t>(i)]);
      const bool positive = labels[static_cast<std::size_t>(i)] > 0;
      const bool gt_proposal = i >= own;
      const bool flagged = positive && gts > 0 && gt_ood[static_cast<std::size_t>(gt)] != 0;
      sample.ood.push_back(flagged && (!gt_proposal || config_.gt_proposals_keep_ood_flag) ? 1.0f
                                                                                           : 0.0f);
    }
    const engine::Device device = candidates.device();
    const Tensor index = on_device(chosen, device);
    sample.proposals = engine::index_select(candidates, 0, index);
    sample.regression =
        gts > 0 ? engine::encode_boxes(engine::index_select(t.boxes, 0, on_device(matched, device)),
                                       sample.proposals, kRoiWeights)
                : engine::zeros({static_cast<std::int64_t>(chosen.size()), 4}, {.device = device});
    samples.push_back(std::move(sample));
  }

  std::vector<Tensor> sampled_proposals;
  std::vector<std::int64_t> labels;
  std::vector<float> ood;
  std::vector<Tensor> regression;
  for (const Sample& s : samples) {
    sampled_proposals.push_back(s.proposals);
    labels.insert(labels.end(), s.labels.begin(), s.labels.end());
    ood.insert(ood.end(), s.ood.begin(), s.ood.end());
    regression.push_back(s.regression);
  }
  const Scores scores = score(features, sampled_proposals);
  const engine::Device device = scores.class_logits.device();
  const auto count = static_cast<std::int64_t>(labels.size());
  const double normaliser = 1.0 / static_cast<double>(std::max<std::int64_t>(count, 1));

  // Classification: RoIs matched to OOD boxes are left out, the normaliser stays all sampled RoIs.
  std::vector<std::int64_t> ce_labels(labels.size());
  for (std::size_t i = 0; i < ce_labels.size(); ++i)
    ce_labels[i] = ood[i] > 0 ? -100 : column(labels[i]);  // -100 = ignore_index
  const Tensor ce = engine::cross_entropy(scores.class_logits, on_device(ce_labels, device), {},
                                          -100, engine::Reduction::sum);
  result.classifier_loss = engine::mul(ce, normaliser);

  // Box regression of the positives' own class (OOD boxes included), summed over / all sampled.
  std::vector<std::int64_t> positive_rows, positive_columns;
  for (std::int64_t i = 0; i < count; ++i)
    if (labels[static_cast<std::size_t>(i)] > 0) {
      positive_rows.push_back(i);
      for (int c = 0; c < 4; ++c)
        positive_columns.push_back(column(labels[static_cast<std::size_t>(i)]) * 4 + c);
    }
  if (positive_rows.empty()) {
    result.box_loss = engine::mul(engine::sum(scores.box_deltas), 0.0);
  } else {
    const Tensor rows = on_device(positive_rows, device);
    const Tensor columns =
        on_device(positive_columns, device, {static_cast<std::int64_t>(positive_rows.size()), 4});
    const Tensor predicted =
        engine::gather(engine::index_select(scores.box_deltas, 0, rows), 1, columns);  // [P, 4]
    const Tensor target = engine::index_select(engine::cat(regression, 0), 0, rows);
    result.box_loss = engine::mul(
        engine::smooth_l1_loss(predicted, target, config_.smooth_l1_beta, engine::Reduction::sum),
        normaliser);
  }
  if (ood_head) {
    const Tensor focal =
        engine::sigmoid_focal_loss(scores.ood_logits, on_device(ood, device), config_.focal_alpha,
                                   config_.focal_gamma, engine::Reduction::mean);
    result.ood_loss = engine::mul(focal, config_.ood_loss_weight);
  }
  if (vos) result.vos_loss = vos_loss(scores, labels, gen);
  return result;
}

Tensor RoiHeads::vos_loss(const Scores& scores,
                          const std::vector<std::int64_t>& labels,
                          engine::Generator& gen) {
  // Foreground RoIs feed the class queues (VOS queues every sampled foreground RoI).
  std::vector<std::int64_t> rows, classes;
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] > 0) {
      rows.push_back(static_cast<std::int64_t>(i));
      classes.push_back(labels[i] - 1);
    }
  if (rows.empty()) return Tensor();
  const Tensor index = on_device(rows, scores.features.device());
  vos->enqueue(engine::index_select(scores.features, 0, index), classes);
  if (!vos->active()) return Tensor();
  const std::int64_t foreground = config_.num_classes - 1;
  const Tensor outliers =
      vos->synthesize(gen);  // [K, representation], constants, on the queue's device
  const Tensor outlier_logits = box_predictor->predict(outliers).class_logits;  // [K, classes]
  return vos->uncertainty_loss(
      engine::index_select(scores.class_logits, 0, index).narrow(1, column(1), foreground),
      outlier_logits.narrow(1, column(1), foreground));
}

std::vector<Detections> RoiHeads::postprocess(
    const Scores& s,
    const std::vector<Tensor>& proposals,
    const std::vector<std::array<std::int64_t, 2>>& image_sizes) const {
  std::vector<Detections> out;
  const std::int64_t classes = config_.num_classes;
  const std::int64_t box_classes = s.box_deltas.size(1) / 4;
  const Tensor probabilities = engine::softmax(s.class_logits, -1);  // [R, classes]
  const Tensor boxes = engine::decode_boxes(s.box_deltas, engine::cat(proposals, 0),
                                            kRoiWeights);  // [R, box_classes * 4]
  const Tensor ood = s.ood_logits.defined() ? engine::sigmoid(s.ood_logits) : Tensor();
  // Free energy at T = 1 (the energy baselines' OOD score): [R]
  const Tensor energy =
      engine::neg(engine::logsumexp(s.class_logits.narrow(1, column(1), classes - 1), {1}));
  std::int64_t offset = 0;
  for (std::size_t n = 0; n < proposals.size(); ++n) {
    const std::int64_t r = proposals[n].size(0);
    const auto [h, w] = image_sizes[n];
    // Every (RoI, foreground class) pair is a candidate: [r * (classes - 1)] in RoI-major order.
    const Tensor b =
        engine::clip_boxes_to_image(boxes.narrow(0, offset, r).reshape({r, box_classes, 4}),
                                    static_cast<double>(h), static_cast<double>(w))
            .narrow(1, column(1), classes - 1)
            .reshape({-1, 4});
    const Tensor p =
        probabilities.narrow(0, offset, r).narrow(1, column(1), classes - 1).reshape({-1});
    const engine::Device device = s.class_logits.device();
    const Tensor label =
        engine::add(engine::arange(classes - 1, {.dtype = engine::DType::i64, .device = device}),
                    1.0)
            .unsqueeze(0)
            .expand({r, classes - 1})
            .reshape({-1});
    const Tensor roi = engine::arange(r, {.dtype = engine::DType::i64, .device = device})
                           .unsqueeze(1)
                           .expand({r, classes - 1})
                           .reshape({-1});
    Tensor keep = engine::nonzero(engine::gt(p, config_.score_threshold)).reshape({-1});
    auto take = [&](const Tensor& t) { return engine::index_select(t, 0, keep); };
    Tensor kb = take(b), kp = take(p), kl = take(label), kr = take(roi);
    keep = engine::remove_small_boxes(kb, config_.min_size);
    kb = take(kb), kp = take(kp), kl = take(kl), kr = take(kr);
    keep = engine::batched_nms(kb, kp, kl, config_.nms_threshold);
    keep = keep.narrow(0, 0, std::min(config_.detections_per_image, keep.numel()));
    Detections d{take(kb), take(kp), take(kl), Tensor(),
                 engine::index_select(energy.narrow(0, offset, r), 0, take(kr))};
    if (ood.defined()) d.ood_scores = engine::index_select(ood.narrow(0, offset, r), 0, take(kr));
    out.push_back(std::move(d));
    offset += r;
  }
  return out;
}

}  // namespace models
