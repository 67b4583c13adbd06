// RPN proposal selection and training losses, step for step as torchvision's
// RegionProposalNetwork (so that torchvision weights give torchvision's proposals). Anchors are
// made on the host and copied to the features' device; anchor matching and sampling read the IoU
// back and run on the host (matcher.h), everything else stays on the device.
#include "models/rpn.h"

#include "engine/autograd.h"
#include "engine/detection_ops.h"
#include "engine/losses.h"
#include "engine/ops.h"
#include "engine/select_ops.h"
#include "models/matcher.h"

namespace models {

using engine::Tensor;

namespace {
constexpr engine::BoxWeights kRpnWeights{1.0, 1.0, 1.0, 1.0};
}

RegionProposalNetwork::RegionProposalNetwork(const RpnConfig& config,
                                             const AnchorConfig& anchors,
                                             std::int64_t channels)
    : config_(config), anchors_(anchors) {
  head = register_module("head", std::make_shared<RpnHead>(channels, anchors.per_location()));
}

std::vector<Tensor> RegionProposalNetwork::select_proposals(
    const Tensor& boxes,
    const Tensor& objectness,
    const std::vector<std::int64_t>& per_level,
    const std::vector<std::array<std::int64_t, 2>>& image_sizes) const {
  const std::int64_t pre_nms =
      is_training() ? config_.pre_nms_top_n_train : config_.pre_nms_top_n_test;
  const std::int64_t post_nms =
      is_training() ? config_.post_nms_top_n_train : config_.post_nms_top_n_test;
  std::vector<Tensor> out;
  for (std::size_t n = 0; n < image_sizes.size(); ++n) {
    const Tensor scores_n = objectness.select(0, static_cast<std::int64_t>(n));  // [A_total]
    const Tensor boxes_n = boxes.select(0, static_cast<std::int64_t>(n));        // [A_total, 4]
    // The best pre_nms anchors of every level, remembering each one's level.
    std::vector<Tensor> kept_boxes, kept_scores, kept_levels;
    std::int64_t offset = 0;
    for (std::size_t level = 0; level < per_level.size(); ++level) {
      const Tensor level_scores = scores_n.narrow(0, offset, per_level[level]);
      const auto top = engine::topk(level_scores, std::min(pre_nms, per_level[level]));
      kept_scores.push_back(top.values);
      kept_boxes.push_back(
          engine::index_select(boxes_n.narrow(0, offset, per_level[level]), 0, top.indices));
      kept_levels.push_back(engine::full({top.indices.numel()}, static_cast<double>(level),
                                         {.dtype = engine::DType::i64, .device = boxes.device()}));
      offset += per_level[level];
    }
    Tensor b = engine::clip_boxes_to_image(engine::cat(kept_boxes, 0),
                                           static_cast<double>(image_sizes[n][0]),
                                           static_cast<double>(image_sizes[n][1]));
    Tensor s = engine::sigmoid(engine::cat(kept_scores, 0)), l = engine::cat(kept_levels, 0);
    Tensor keep = engine::remove_small_boxes(b, config_.min_size);
    b = engine::index_select(b, 0, keep);
    s = engine::index_select(s, 0, keep);
    l = engine::index_select(l, 0, keep);
    keep = engine::nonzero(engine::ge(s, config_.score_threshold)).reshape({-1});
    b = engine::index_select(b, 0, keep);
    s = engine::index_select(s, 0, keep);
    l = engine::index_select(l, 0, keep);
    keep = engine::batched_nms(b, s, l, config_.nms_threshold);
    keep = keep.narrow(0, 0, std::min(post_nms, keep.numel()));
    out.push_back(engine::index_select(b, 0, keep));
  }
  return out;
}

RpnOutput RegionProposalNetwork::forward(
    const std::vector<Tensor>& features,
    std::array<std::int64_t, 2> batch_size,
    const std::vector<std::array<std::int64_t, 2>>& image_sizes,
    const std::vector<Tensor>* gt_boxes,
    engine::Generator& gen) {
  ENGINE_CHECK(
      !features.empty() && static_cast<std::int64_t>(image_sizes.size()) == features[0].size(0),
      "RPN: ", image_sizes.size(), " image sizes for a batch of ",
      features.empty() ? 0 : features[0].size(0));
  const RpnHead::Output out =
      head->predict(features);  // objectness [N, A_total], deltas [N, A_total, 4]
  std::vector<std::array<std::int64_t, 2>> feature_sizes;
  std::vector<std::int64_t> per_level;
  for (const Tensor& f : features) {
    feature_sizes.push_back({f.size(2), f.size(3)});
    per_level.push_back(f.size(2) * f.size(3) * anchors_.per_location());
  }
  const engine::Device device = features[0].device();
  const Tensor anchors =
      make_anchors(anchors_, feature_sizes, batch_size).to(device);  // [A_total, 4]
  const std::int64_t images = static_cast<std::int64_t>(image_sizes.size()),
                     total = anchors.size(0);

  RpnOutput result;
  {
    engine::autograd::NoGradGuard no_grad;  // proposals are constants for the RoI heads
    const Tensor decoded =
        engine::decode_boxes(out.deltas.detach().reshape({-1, 4}),
                             anchors.unsqueeze(0).expand({images, total, 4}).reshape({-1, 4}),
                             kRpnWeights)
            .reshape({images, total, 4});
    result.proposals = select_proposals(decoded, out.objectness.detach(), per_level, image_sizes);
  }
  if (gt_boxes == nullptr) return result;

  ENGINE_CHECK(static_cast<std::int64_t>(gt_boxes->size()) == images, "RPN: ", gt_boxes->size(),
               " ground-truth lists for ", images, " images");
  // Targets: label 1 / 0 / -1 per anchor and the regression target of each positive.
  std::vector<Tensor> sampled_logits, sampled_labels, positive_deltas, positive_targets;
  std::int64_t sampled = 0;
  for (std::int64_t n = 0; n < images; ++n) {
    const Tensor& gt = (*gt_boxes)[static_cast<std::size_t>(n)];
    const Tensor matches = match(gt.size(0) > 0 ? engine::box_iou(gt, anchors) : Tensor(), total,
                                 config_.foreground_iou, config_.background_iou, true);
    const auto m = matches.to_vector<std::int64_t>();
    std::vector<std::int64_t> labels(m.size());
    for (std::size_t i = 0; i < m.size(); ++i)
      labels[i] = m[i] >= 0 ? 1 : (m[i] == kBelowLow ? 0 : -1);
    const SampledIndices s =
        sample_balanced(labels, config_.batch_size_per_image, config_.positive_fraction, gen);
    std::vector<std::int64_t> all = s.positive;
    all.insert(all.end(), s.negative.begin(), s.negative.end());
    std::vector<float> targets(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) targets[i] = i < s.positive.size() ? 1.0f : 0.0f;
    const Tensor all_index = on_device(all, device);
    sampled_logits.push_back(engine::index_select(out.objectness.select(0, n), 0, all_index));
    sampled_labels.push_back(on_device(targets, device));
    if (!s.positive.empty()) {
      const Tensor pos = on_device(s.positive, device);
      std::vector<std::int64_t> gt_index;
      for (auto p : s.positive) gt_index.push_back(m[static_cast<std::size_t>(p)]);
      positive_deltas.push_back(engine::index_select(out.deltas.select(0, n), 0, pos));
      positive_targets.push_back(
          engine::encode_boxes(engine::index_select(gt, 0, on_device(gt_index, device)),
                               engine::index_select(anchors, 0, pos), kRpnWeights));
    }
    sampled += static_cast<std::int64_t>(all.size());
  }
  result.objectness_loss = engine::binary_cross_entropy_with_logits(engine::cat(sampled_logits, 0),
                                                                    engine::cat(sampled_labels, 0));
  if (positive_deltas.empty()) {
    result.box_loss =
        engine::mul(engine::sum(out.deltas), 0.0);  // keeps the graph; no positive anchors
  } else {
    const Tensor summed =
        engine::smooth_l1_loss(engine::cat(positive_deltas, 0), engine::cat(positive_targets, 0),
                               config_.smooth_l1_beta, engine::Reduction::sum);
    result.box_loss =
        engine::mul(summed, 1.0 / static_cast<double>(std::max<std::int64_t>(sampled, 1)));
  }
  return result;
}

}  // namespace models
