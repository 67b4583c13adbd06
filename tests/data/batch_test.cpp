// Tests of the host batch -> engine tensor conversion: shapes, dtypes, values and empty targets.
// Built only when the engine target exists.
#include <gtest/gtest.h>

#include "data/batch.h"

namespace data {
namespace {

HostBatch two_images() {
  HostBatch h;
  h.size = 2;
  h.height = 32;
  h.width = 64;
  h.images.resize(2 * 3 * 32 * 64);
  for (std::size_t i = 0; i < h.images.size(); ++i)
    h.images[i] = static_cast<float>(i % 1000) * 0.5f;
  Target a;
  a.boxes = {{1, 2, 3, 4}, {5.5, 6, 7, 8}};
  a.labels = {3, 0};
  a.ood = {0, 1};
  a.difficult = {1, 0};
  a.iscrowd = {0, 0};
  h.targets = {a, Target{}};
  h.metas.resize(2);
  h.metas[1].index = 7;
  return h;
}

TEST(Batch, TensorsHaveShapesDtypesAndValues) {
  HostBatch h = two_images();
  Batch b = to_batch(h);
  EXPECT_EQ(b.images.shape(), (engine::Shape{2, 3, 32, 64}));
  EXPECT_EQ(b.images.dtype(), engine::DType::f32);
  EXPECT_EQ(b.images.to_vector<float>(), h.images);
  ASSERT_EQ(b.boxes.size(), 2u);
  EXPECT_EQ(b.boxes[0].shape(), (engine::Shape{2, 4}));
  EXPECT_EQ(b.boxes[0].to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5.5f, 6, 7, 8}));
  EXPECT_EQ(b.labels[0].dtype(), engine::DType::i64);
  EXPECT_EQ(b.labels[0].to_vector<std::int64_t>(), (std::vector<std::int64_t>{3, 0}));
  EXPECT_EQ(b.ood[0].to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{0, 1}));
  EXPECT_EQ(b.difficult[0].to_vector<std::uint8_t>(), (std::vector<std::uint8_t>{1, 0}));
  // An image without objects still has (empty) targets.
  EXPECT_EQ(b.boxes[1].shape(), (engine::Shape{0, 4}));
  EXPECT_EQ(b.labels[1].shape(), (engine::Shape{0}));
  EXPECT_EQ(b.metas[1].index, 7u);
}

TEST(Batch, RejectsInconsistentHostBatch) {
  HostBatch h = two_images();
  h.images.pop_back();
  EXPECT_THROW(to_batch(h), std::invalid_argument);
}

}  // namespace
}  // namespace data
