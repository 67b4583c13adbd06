// Stream capture in the emulated runtime: launches, memsets and device copies on a capturing
// stream are recorded, not run, and a launched graph runs them in order; calls a capture cannot
// hold fail with cudaErrorStreamCaptureUnsupported and invalidate it, as on a GPU.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/cuda/launch.cuh"
#include "tests/simt/device_buffer.h"

namespace {

using kernels::cuda::launch;
using simt_test::DeviceBuffer;

__global__ void axpy(float* y, const float* x, float a, int n) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) y[i] += a * x[i];
}

// A stream created for the test, destroyed at the end.
class Stream {
 public:
  Stream() { CUDA_CHECK(cudaStreamCreate(&stream_)); }
  ~Stream() { cudaStreamDestroy(stream_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  operator cudaStream_t() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

cudaStreamCaptureStatus status_of(cudaStream_t stream) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  CUDA_CHECK(cudaStreamIsCapturing(stream, &status));
  return status;
}

TEST(SimtGraph, CaptureRecordsAndLaunchReplaysInOrder) {
  const int n = 300;
  const std::vector<float> x0 = simt_test::random_floats(n, 1), y0 = simt_test::random_floats(n, 2);
  DeviceBuffer<float> x(x0), y(y0), copy(n);
  Stream stream;
  CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  EXPECT_EQ(status_of(stream), cudaStreamCaptureStatusActive);
  launch(axpy, dim3(3), dim3(128), 0, stream, y.get(), x.get(), 2.0f, n);  // y += 2x
  CUDA_CHECK(cudaMemcpyAsync(copy.get(), y.get(), n * sizeof(float), cudaMemcpyDeviceToDevice, stream));
  CUDA_CHECK(cudaMemsetAsync(x.get(), 0, n * sizeof(float), stream));  // x = 0 after the copy
  launch(axpy, dim3(3), dim3(128), 0, stream, y.get(), copy.get(), 1.0f, n);  // y += copy
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  EXPECT_EQ(status_of(stream), cudaStreamCaptureStatusNone);
  EXPECT_EQ(y.download(), y0) << "a captured launch must not run";
  EXPECT_EQ(x.download(), x0) << "a captured memset must not run";
  std::size_t nodes = 0;
  CUDA_CHECK(cudaGraphGetNodes(graph, nullptr, &nodes));
  EXPECT_EQ(nodes, 4u);

  cudaGraphExec_t exec = nullptr;
  CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  CUDA_CHECK(cudaGraphDestroy(graph));  // the instantiated graph stands alone
  CUDA_CHECK(cudaGraphLaunch(exec, stream));
  std::vector<float> want(n);
  for (int i = 0; i < n; ++i) want[i] = 2 * (y0[i] + 2 * x0[i]);  // copy = y, then y + copy
  EXPECT_EQ(y.download(), want);
  EXPECT_EQ(x.download(), std::vector<float>(n, 0.0f));

  // A second launch reads the inputs as they are now.
  const std::vector<float> x1 = simt_test::random_floats(n, 3);
  x.upload(x1);
  y.upload(y0);
  CUDA_CHECK(cudaGraphLaunch(exec, stream));
  for (int i = 0; i < n; ++i) want[i] = 2 * (y0[i] + 2 * x1[i]);
  EXPECT_EQ(y.download(), want);
  CUDA_CHECK(cudaGraphExecDestroy(exec));
  EXPECT_EQ(cudaGraphExecDestroy(exec), cudaErrorInvalidValue);
}

TEST(SimtGraph, OtherStreamsRunWhileOneCaptures) {
  const int n = 64;
  const std::vector<float> x0 = simt_test::random_floats(n, 4);
  DeviceBuffer<float> x(x0), y(std::vector<float>(n, 1.0f));
  Stream capturing, other;
  CUDA_CHECK(cudaStreamBeginCapture(capturing, cudaStreamCaptureModeThreadLocal));
  launch(axpy, dim3(1), dim3(64), 0, other, y.get(), x.get(), 1.0f, n);
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamEndCapture(capturing, &graph));
  CUDA_CHECK(cudaGraphDestroy(graph));
  const std::vector<float> got = y.download();
  for (int i = 0; i < n; ++i) EXPECT_EQ(got[i], 1.0f + x0[i]);
}

TEST(SimtGraph, UncapturableCallsFailAndInvalidateTheCapture) {
  DeviceBuffer<float> x(std::vector<float>(16, 1.0f));
  std::vector<float> host(16);
  Stream stream;
  const auto expect_invalidating = [&](const char* what, auto&& call) {
    CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    EXPECT_EQ(call(), cudaErrorStreamCaptureUnsupported) << what;
    EXPECT_EQ(status_of(stream), cudaStreamCaptureStatusInvalidated) << what;
    EXPECT_THROW(launch(axpy, dim3(1), dim3(16), 0, stream, x.get(), x.get(), 1.0f, 16), kernels::simt::Error)
        << what << ": a launch into an invalidated capture";
    cudaGraph_t graph = nullptr;
    EXPECT_EQ(cudaStreamEndCapture(stream, &graph), cudaErrorStreamCaptureInvalidated) << what;
    EXPECT_EQ(graph, nullptr) << what;
    EXPECT_EQ(status_of(stream), cudaStreamCaptureStatusNone) << what;
  };
  expect_invalidating("device to host", [&] {
    return cudaMemcpyAsync(host.data(), x.get(), 64, cudaMemcpyDeviceToHost, stream);
  });
  expect_invalidating("host to device", [&] {
    return cudaMemcpyAsync(x.get(), host.data(), 64, cudaMemcpyHostToDevice, stream);
  });
  expect_invalidating("stream synchronize", [&] { return cudaStreamSynchronize(stream); });
  expect_invalidating("cudaMalloc", [&] {
    void* p = nullptr;
    return cudaMalloc(&p, 256);
  });
  expect_invalidating("cudaFree", [&] { return cudaFree(x.get()); });
  expect_invalidating("synchronous copy", [&] {
    return cudaMemcpy(host.data(), x.get(), 64, cudaMemcpyDeviceToHost);
  });
  expect_invalidating("device synchronize", [] { return cudaDeviceSynchronize(); });
  EXPECT_EQ(x.download(), std::vector<float>(16, 1.0f)) << "nothing ran, x is still allocated";
}

TEST(SimtGraph, RelaxedThreadModeMayAllocateDuringCapture) {
  Stream stream;
  CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
  CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  EXPECT_EQ(mode, cudaStreamCaptureModeGlobal);  // the thread's default
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, 256), cudaSuccess);
  CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));  // back to global
  EXPECT_EQ(status_of(stream), cudaStreamCaptureStatusActive);
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  CUDA_CHECK(cudaGraphDestroy(graph));
  EXPECT_EQ(cudaFree(p), cudaSuccess);
}

TEST(SimtGraph, CaptureMisuse) {
  Stream stream;
  EXPECT_EQ(cudaStreamBeginCapture(nullptr, cudaStreamCaptureModeThreadLocal),
            cudaErrorStreamCaptureUnsupported);  // the legacy stream
  cudaGraph_t graph = nullptr;
  EXPECT_EQ(cudaStreamEndCapture(stream, &graph), cudaErrorIllegalState);  // not capturing
  CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  EXPECT_EQ(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), cudaErrorIllegalState);
  CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  cudaGraphExec_t exec = nullptr;
  CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  CUDA_CHECK(cudaGraphLaunch(exec, stream));  // an empty graph
  CUDA_CHECK(cudaGraphExecDestroy(exec));
  CUDA_CHECK(cudaGraphDestroy(graph));
  EXPECT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaErrorInvalidValue);  // destroyed
}

}  // namespace
