// CudaGraph over the backend's stream: a replay computes what the eager ops compute, on the
// inputs copied in before it; tensors made during capture keep their addresses, no one else gets
// their memory, and the pool goes back when the graph dies; uncapturable ops name themselves.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/caching_allocator.h"
#include "engine/cuda_backend.h"
#include "engine/ops.h"
#include "tests/cuda/cuda_test_util.h"

using namespace engine;
using cuda_backend::CudaGraph;

namespace {

// The work captured below: a few kernels with scalars, a matmul, a reduction and a cat.
Tensor work(const Tensor& x, const Tensor& w) {
  const Tensor h = relu(add(matmul(x, w), 0.5));    // [8, 16]
  return cat({mul(h, 3.0), sum(h, {1}, true)}, 1);  // [8, 17]
}

std::vector<float> values_of(const Tensor& t) {
  return t.cpu().contiguous().to_vector<float>();
}

}  // namespace

TEST(CudaGraph, ReplayEqualsEagerOnNewInputs) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const Tensor w = cuda_test::random_f32({12, 16}, 1).cuda();
  const Tensor x = cuda_test::random_f32({8, 12}, 2).cuda();  // the static input
  CudaGraph graph;
  std::optional<Tensor> out;
  graph.capture([&] { out = work(x, w); });
  EXPECT_TRUE(graph.captured());
  EXPECT_GT(graph.nodes(), 4u);
  for (std::uint64_t seed : {3, 4}) {
    const Tensor input = cuda_test::random_f32({8, 12}, seed).cuda();
    x.copy_(input);
    graph.replay();
    EXPECT_EQ(values_of(*out), values_of(work(input, w))) << "seed " << seed;
  }
}

TEST(CudaGraph, CaptureRunsNothingUntilReplay) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const Tensor x = cuda_test::random_f32({64}, 5).cuda();
  const std::vector<float> before = values_of(x);
  CudaGraph graph;
  graph.capture([&] { x.copy_(mul(x, 2.0)); });
  EXPECT_EQ(values_of(x), before);
  graph.replay();
  graph.replay();
  const std::vector<float> after = values_of(x);
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i] * 4.0f);
}

TEST(CudaGraph, PoolKeepsAddressesAndLendsNothing) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const Tensor x = cuda_test::random_f32({256}, 6).cuda();
  CudaGraph graph;
  std::optional<Tensor> out;
  const void* scratch_address = nullptr;
  graph.capture([&] {
    const Tensor scratch = exp(x);  // freed inside the capture: its block stays in the pool
    scratch_address = scratch.cuda_data();
    out = add(scratch, 1.0);
  });
  const void* out_address = out->cuda_data();
  EXPECT_GT(cuda_backend::memory_stats().pool_bytes, 0u);
  // Eager tensors of the same sizes never get the pool's blocks.
  std::vector<Tensor> eager;
  for (int i = 0; i < 8; ++i) {
    eager.push_back(empty({256}, {.device = Device::cuda()}));
    EXPECT_NE(eager.back().cuda_data(), scratch_address);
    EXPECT_NE(eager.back().cuda_data(), out_address);
  }
  graph.replay();
  EXPECT_EQ(out->cuda_data(), out_address);
  EXPECT_EQ(values_of(*out), values_of(add(exp(x), 1.0)));
}

TEST(CudaGraph, MemoryGoesBackWhenTheGraphDies) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const Tensor x = cuda_test::random_f32({1000}, 7).cuda();
  const std::size_t pool_before = cuda_backend::memory_stats().pool_bytes;
  const std::size_t current_before = cuda_backend::memory_stats().current_bytes;
  std::optional<Tensor> out;
  {
    CudaGraph graph;
    graph.capture([&] { out = sqrt(add(mul(x, x), 1.0)); });
    graph.replay();
    EXPECT_GT(cuda_backend::memory_stats().pool_bytes, pool_before);
  }
  // The output is still held: its block stays (and is freed when it is dropped).
  EXPECT_EQ(cuda_backend::memory_stats().pool_bytes,
            pool_before + CachingAllocator::round_size(1000 * sizeof(float)));
  out.reset();
  EXPECT_EQ(cuda_backend::memory_stats().pool_bytes, pool_before);
  EXPECT_EQ(cuda_backend::memory_stats().current_bytes, current_before);
}

TEST(CudaGraph, UncapturableOpsNameThemselvesAndTheStreamRecovers) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const Tensor x = cuda_test::random_f32({32}, 8).cuda();
  const auto failed_capture = [&](const std::function<void()>& op) {
    CudaGraph graph;
    const std::string message = cuda_test::error_of([&] { graph.capture(op); });
    EXPECT_FALSE(graph.captured());
    EXPECT_FALSE(cuda_backend::is_capturing()) << "the failed capture must end";
    return message;
  };
  EXPECT_NE(failed_capture([&] { (void)sum(x).item(); }).find("reading cuda data back to the host"),
            std::string::npos);
  EXPECT_NE(failed_capture([&] {
              (void)from_vector(std::vector<float>{1, 2}, {2}).cuda();
            }).find("copying host data to cuda"),
            std::string::npos);
  EXPECT_NE(failed_capture([&] { (void)x.cpu(); }).find("is being captured as a graph"),
            std::string::npos);
  EXPECT_NE(failed_capture([] { cuda_backend::synchronize(); }).find("synchronize"),
            std::string::npos);
  EXPECT_NE(failed_capture([] { cuda_backend::empty_cache(); }).find("empty_cache"),
            std::string::npos);
  // Eager work runs again, and a new capture works.
  EXPECT_EQ(values_of(mul(x, 2.0)).size(), 32u);
  CudaGraph graph;
  std::optional<Tensor> out;
  graph.capture([&] { out = neg(x); });
  graph.replay();
  EXPECT_EQ(values_of(*out), values_of(neg(x)));
}

TEST(CudaGraph, MisuseIsAnError) {
  SKIP_WITHOUT_CUDA_BACKEND();
  CudaGraph graph;
  EXPECT_NE(cuda_test::error_of([&] { graph.replay(); }).find("nothing captured"),
            std::string::npos);
  EXPECT_NE(cuda_test::error_of([&] { graph.capture_end(); }).find("capture_begin was not called"),
            std::string::npos);
  graph.capture_begin();
  CudaGraph other;
  EXPECT_NE(cuda_test::error_of([&] { other.capture_begin(); }).find("do not nest"),
            std::string::npos);
  graph.capture_end();
  EXPECT_NE(cuda_test::error_of([&] { graph.capture_begin(); }).find("make a new one"),
            std::string::npos);
}
