// Tensors on cuda: to()/cuda()/cpu() round trips of every dtype (non-contiguous sources too),
// item() and to_vector() reading back, fills and creation on the device, cross-device copy_,
// autograd through a device move, and the error an op without a CUDA kernel gives.
#include <gtest/gtest.h>

#include "engine/functional.h"
#include "engine/ops.h"
#include "tests/cuda/cuda_test_util.h"

using namespace engine;

TEST(CudaTensor, RoundTripsEveryDtype) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const Tensor values = cuda_test::random_f32({5, 7}, 3);
  for (DType dtype : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64,
                      DType::u8, DType::b8}) {
    const Tensor host = mul(values, 9.0).to(dtype);
    const Tensor device = host.cuda();
    EXPECT_TRUE(device.device().is_cuda());
    EXPECT_EQ(device.dtype(), dtype);
    const Tensor back = device.cpu();
    EXPECT_TRUE(back.device().is_cpu());
    EXPECT_EQ(back.to(DType::f64).to_vector<double>(), host.to(DType::f64).to_vector<double>())
        << dtype_name(dtype);
  }
}

TEST(CudaTensor, NonContiguousSourcesAndViewsOnTheDevice) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const Tensor base = cuda_test::random_f32({6, 9}, 4);
  const Tensor view = base.t().slice(0, 1, 8, 2);  // [4, 6], strides (2, 9)
  EXPECT_EQ(view.cuda().cpu().to_vector<float>(), view.contiguous().to_vector<float>());
  // A view of a cuda tensor read back, and made contiguous on the device.
  const Tensor on_device = base.cuda().t().slice(0, 1, 8, 2);
  EXPECT_FALSE(on_device.is_contiguous());
  EXPECT_EQ(on_device.to_vector<float>(), view.contiguous().to_vector<float>());
  EXPECT_EQ(on_device.contiguous().cpu().to_vector<float>(), view.contiguous().to_vector<float>());
  EXPECT_FLOAT_EQ(static_cast<float>(base.cuda().select(0, 2).select(0, 3).item()),
                  base.contiguous().to_vector<float>()[2 * 9 + 3]);
}

TEST(CudaTensor, CreationFillsAndCopies) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const TensorOptions on_cuda{.device = Device::cuda()};
  EXPECT_EQ(zeros({3, 4}, on_cuda).to_vector<float>(), std::vector<float>(12, 0.0f));
  EXPECT_EQ(full({5}, 2.5, on_cuda).to_vector<float>(), std::vector<float>(5, 2.5f));
  EXPECT_EQ(full({3}, 7, {.dtype = DType::i64, .device = Device::cuda()}).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{7, 7, 7}));
  EXPECT_EQ(arange(5, {.dtype = DType::i64, .device = Device::cuda()}).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  const Tensor d = ones({2, 3}, on_cuda);
  d.select(1, 1).fill_(-4.0);  // strided fill
  EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{1, -4, 1, 1, -4, 1}));
  // copy_ from the host, broadcast, with a dtype change; and from the device to the host.
  d.copy_(from_vector<std::int32_t>({5, 6, 7}));
  EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{5, 6, 7, 5, 6, 7}));
  const Tensor host = empty({2, 3});
  host.copy_(d.t().t());
  EXPECT_EQ(host.to_vector<float>(), d.to_vector<float>());
  EXPECT_EQ(d.to(DType::f16).to(DType::f32).to_vector<float>(), d.to_vector<float>());
  EXPECT_EQ(d.clone().to_vector<float>(), d.to_vector<float>());
}

TEST(CudaTensor, RandomDrawsMatchTheCpu) {
  SKIP_WITHOUT_CUDA_BACKEND();
  Generator cpu_gen(11), cuda_gen(11);
  EXPECT_EQ(randn({37}, cuda_gen, {.device = Device::cuda()}).to_vector<float>(),
            randn({37}, cpu_gen).to_vector<float>());
  EXPECT_EQ(randint(0, 9, {20}, cuda_gen, {.dtype = DType::i64, .device = Device::cuda()})
                .to_vector<std::int64_t>(),
            randint(0, 9, {20}, cpu_gen, {.dtype = DType::i64}).to_vector<std::int64_t>());
}

TEST(CudaTensor, GradientFlowsBackThroughDeviceMoves) {
  SKIP_WITHOUT_CUDA_BACKEND();
  Tensor x = cuda_test::random_f32({4, 3}, 5);
  x.requires_grad_(true);
  const Tensor y = mul(x.cuda(), x.cuda());  // d/dx sum(x^2) = 2x
  sum(y).backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_TRUE(x.grad().device().is_cpu());
  cuda_test::expect_matches(x.grad().cuda(), mul(x.detach(), 2.0), 1e-6, 1e-6, "grad of x^2");
}

TEST(CudaTensor, OpsWithoutACudaKernelSayWhich) {
  SKIP_WITHOUT_CUDA_BACKEND();
  // The kernels of these ops are f32 only.
  const Tensor x = ones({1, 1, 4, 4}, {.dtype = DType::f64, .device = Device::cuda()});
  const Tensor index = zeros({2}, {.dtype = DType::i64, .device = Device::cuda()});
  try {
    index_select(x, 3, index);
    FAIL() << "index_select of f64 on cuda should throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("index_select: no CUDA kernel yet for dtype f64"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(softmax(x, 1), Error);
  EXPECT_THROW(argmax(x, 1), Error);
  EXPECT_THROW(x.data_ptr<float>(), Error);  // host access to device memory
}
