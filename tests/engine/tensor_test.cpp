// Tensor basics: creation, metadata, views sharing storage, contiguous copies, dtype casts,
// and the error messages of misuse.
#include <gtest/gtest.h>

#include "engine/ops.h"

using namespace engine;

TEST(Tensor, CreationAndMetadata) {
  Tensor t = zeros({2, 3});
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.strides(), (Shape{3, 1}));
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.dtype(), DType::f32);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(full({2}, 2.5, {.dtype = DType::f64}).to_vector<double>(),
            (std::vector<double>{2.5, 2.5}));
  EXPECT_EQ(arange(5).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(1.0, 2.0, 0.25).to_vector<float>(),
            (std::vector<float>{1.0f, 1.25f, 1.5f, 1.75f}));
  EXPECT_EQ(from_vector<std::int64_t>({1, 2}).dtype(), DType::i64);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor t = arange(0.0, 6.0).reshape({2, 3});
  Tensor tt = t.t();
  EXPECT_EQ(tt.shape(), (Shape{3, 2}));
  EXPECT_FALSE(tt.is_contiguous());
  EXPECT_EQ(tt.contiguous().to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  t.select(0, 1).fill_(7.0);
  EXPECT_EQ(tt.contiguous().to_vector<float>(), (std::vector<float>{0, 7, 1, 7, 2, 7}));
  EXPECT_EQ(t.slice(1, 0, 3, 2).contiguous().to_vector<float>(), (std::vector<float>{0, 2, 7, 7}));
  EXPECT_EQ(t.narrow(1, 1, 2).shape(), (Shape{2, 2}));
  EXPECT_EQ(t.unsqueeze(0).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(t.unsqueeze(-1).squeeze().shape(), (Shape{2, 3}));
  EXPECT_EQ(t.reshape({-1}).shape(), (Shape{6}));
  EXPECT_EQ(t.expand({4, 2, 3}).strides(), (Shape{0, 3, 1}));
  EXPECT_EQ(tt.reshape({6}).to_vector<float>(), (std::vector<float>{0, 7, 1, 7, 2, 7}));
  EXPECT_THROW(tt.view({6}), Error);
}

TEST(Tensor, DtypeCasts) {
  Tensor t = from_vector<float>({-1.5f, 0.0f, 2.7f});
  EXPECT_EQ(t.to(DType::i64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{-1, 0, 2}));
  EXPECT_EQ(t.to(DType::b8).to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_DOUBLE_EQ(t.to(DType::f64).to_vector<double>()[2], static_cast<double>(2.7f));
  const Tensor h = from_vector<float>({1.0f, 65504.0f, -2.0f, 1e-7f}).to(DType::f16);
  EXPECT_EQ(h.to(DType::f32).to_vector<float>()[1], 65504.0f);
  EXPECT_EQ(h.to(DType::f32).to_vector<float>()[2], -2.0f);
  EXPECT_NEAR(h.to(DType::f32).to_vector<float>()[3], 1.1920929e-07f, 1e-12);  // nearest subnormal
  const Tensor b = from_vector<float>({1.0f, 3.14159f}).to(DType::bf16);
  EXPECT_EQ(b.to(DType::f32).to_vector<float>()[1], 3.140625f);
}

TEST(Tensor, ErrorsNameBothOperands) {
  Tensor a = zeros({2, 3}), b = zeros({4, 3}), c = zeros({2, 3}, {.dtype = DType::f64});
  try {
    add(a, b);
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[4, 3]"), std::string::npos) << e.what();
  }
  try {
    mul(a, c);
    FAIL() << "expected a dtype error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f32"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("f64"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tensor().shape(), Error);
  EXPECT_THROW(zeros({2}).data_ptr<double>(), Error);
  EXPECT_THROW(zeros({2}, {.device = Device::cuda(0)}), Error);
  EXPECT_THROW(Device::parse("tpu"), Error);
}
