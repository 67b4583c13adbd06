// nn::Module::to(Device): parameters and buffers move in place (the layer's own handles and an
// optimizer built afterwards see the cuda tensors), values survive the round trip exactly.
#include <gtest/gtest.h>

#include "engine/nn/conv_norm.h"
#include "engine/nn/layers.h"
#include "engine/optim/optimizer.h"
#include "tests/cuda/cuda_test_util.h"

using namespace engine;

TEST(CudaModule, ToMovesParametersAndBuffersInPlace) {
  SKIP_WITHOUT_CUDA_BACKEND();
  Generator gen(5);
  nn::Sequential net;
  auto linear = net.push_back(std::make_shared<nn::Linear>(6, 4, true, gen));
  auto norm = net.push_back(std::make_shared<nn::BatchNorm2d>(4));
  const Tensor x = cuda_test::random_f32({3, 6}, 7);
  const std::vector<float> weight = linear->weight.to_vector<float>();
  const Tensor want = linear->forward(x);  // [3, 4] on the CPU
  const std::size_t count = net.state_dict().size();

  net.to(Device::cuda());
  for (const auto& [name, t] : net.state_dict()) EXPECT_TRUE(t.device().is_cuda()) << name;
  EXPECT_EQ(net.state_dict().size(), count);
  EXPECT_TRUE(linear->weight.device().is_cuda());  // the layer's member is the moved tensor
  EXPECT_TRUE(linear->weight.requires_grad());
  EXPECT_EQ(linear->weight.to_vector<float>(), weight);
  cuda_test::expect_matches(linear->forward(x.cuda()), want, 1e-6, 1e-5, "moved Linear");

  // An optimizer built after the move updates the cuda parameters.
  optim::SGD sgd(net.parameters(), {.lr = 0.5});
  sum(linear->forward(x.cuda())).backward();
  ASSERT_TRUE(linear->weight.grad().device().is_cuda());
  sgd.step();
  const std::vector<float> stepped = linear->weight.to_vector<float>();
  EXPECT_NE(stepped, weight);

  // Back to the CPU: the same numbers, the gradient moves along.
  const std::vector<float> grad = linear->weight.grad().to_vector<float>();
  net.to(Device::cpu());
  for (const auto& [name, t] : net.state_dict()) EXPECT_TRUE(t.device().is_cpu()) << name;
  ASSERT_TRUE(linear->weight.grad().device().is_cpu());
  EXPECT_EQ(linear->weight.grad().to_vector<float>(), grad);
  EXPECT_EQ(linear->weight.to_vector<float>(), stepped);
  EXPECT_TRUE(norm->running_mean.device().is_cpu());
}
