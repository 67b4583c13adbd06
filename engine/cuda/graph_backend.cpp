// CudaGraph of the emu and native CUDA backends: stream capture in thread-local mode into a
// private pool of the caching allocator, instantiate, launch, and every handle destroyed with it.
#include "engine/cuda/stream.h"
#include "engine/cuda_backend.h"
#include "kernels/cuda/check.cuh"

namespace engine::cuda_backend {

CudaGraph::CudaGraph() {
  ENGINE_CHECK(available(), "creating a CUDA graph: ", description());
}

CudaGraph::~CudaGraph() {
  abandon();
  if (exec_ != nullptr) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec_));
  if (graph_ != nullptr) cudaGraphDestroy(static_cast<cudaGraph_t>(graph_));
  if (pool_ != 0) device_allocator().release_private_pool(pool_);  // after the graph is gone
}

void CudaGraph::capture_begin() {
  ENGINE_CHECK(!capturing_ && graph_ == nullptr, "CudaGraph::capture_begin: this graph ",
               capturing_ ? "is capturing already" : "holds a capture already; make a new one");
  ENGINE_CHECK(!is_capturing(),
               "CudaGraph::capture_begin: the CUDA stream is being captured by "
               "another graph already (captures do not nest)");
  synchronize();  // eager work queued before the capture finishes first (its errors surface here)
  pool_ = device_allocator().begin_private_pool();
  const cudaError_t error = cudaStreamBeginCapture(stream(), cudaStreamCaptureModeThreadLocal);
  if (error != cudaSuccess) {
    device_allocator().end_private_pool();
    CUDA_CHECK(error);
  }
  capturing_ = true;
}

void CudaGraph::capture_end() {
  ENGINE_CHECK(capturing_, "CudaGraph::capture_end: capture_begin was not called");
  capturing_ = false;
  device_allocator().end_private_pool();
  cudaGraph_t graph = nullptr;
  const cudaError_t error = cudaStreamEndCapture(stream(), &graph);
  if (error == cudaErrorStreamCaptureInvalidated) {
    cudaGetLastError();  // clear it: the stream runs eagerly again
    ENGINE_FAIL(
        "CudaGraph::capture_end: the capture was invalidated by a call it cannot hold "
        "(an earlier error said which); nothing was captured");
  }
  CUDA_CHECK(error);
  graph_ = graph;
  CUDA_CHECK(cudaGraphGetNodes(graph, nullptr, &nodes_));
  cudaGraphExec_t exec = nullptr;
  CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  exec_ = exec;
}

void CudaGraph::capture(const std::function<void()>& work) {
  capture_begin();
  try {
    work();
  } catch (...) {
    abandon();
    throw;
  }
  capture_end();
}

void CudaGraph::replay() {
  ENGINE_CHECK(exec_ != nullptr,
               "CudaGraph::replay: nothing captured (capture_end was not called)");
  CUDA_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec_), stream()));
}

void CudaGraph::abandon() noexcept {
  if (!capturing_) return;
  capturing_ = false;
  device_allocator().end_private_pool();
  cudaGraph_t graph = nullptr;
  if (cudaStreamEndCapture(stream(), &graph) == cudaSuccess && graph != nullptr)
    cudaGraphDestroy(graph);
  cudaGetLastError();  // an invalidated capture leaves its error; the stream is usable again
  device_allocator().release_private_pool(pool_);  // nothing will replay: its memory can go
  pool_ = 0;
}

}  // namespace engine::cuda_backend
