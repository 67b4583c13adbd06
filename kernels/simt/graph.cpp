// Stream capture and CUDA graphs in the emulator: a capturing stream keeps each launch, memset and
// device copy as a closure over its arguments; a graph replays them in order on the launching thread.
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/simt/error.h"
#include "kernels/simt/runtime.h"

namespace kernels::simt::detail {
namespace {

using Nodes = std::vector<std::function<void()>>;

struct Capture {
  cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
  std::thread::id thread;
  Nodes nodes;
  bool invalidated = false;
};

struct Graphs {
  std::mutex mutex;
  std::unordered_map<cudaStream_t, Capture> captures;
  std::unordered_map<cudaGraph_t, std::unique_ptr<Nodes>> graphs;  // handle = the Nodes' address
  std::unordered_map<cudaGraphExec_t, std::unique_ptr<Nodes>> execs;
};

Graphs& graphs() {
  static Graphs* instance = new Graphs();  // never destroyed: streams may outlive static destruction
  return *instance;
}

std::atomic<int> g_active_captures{0};  // lets launches skip the lock when nothing captures
thread_local cudaStreamCaptureMode t_mode = cudaStreamCaptureModeGlobal;  // the thread's own mode
thread_local int t_strict_captures = 0;  // this thread's ongoing captures not begun relaxed

// Marks this thread's strict captures invalid (with the lock held).
void invalidate_own_captures() {
  for (auto& [stream, capture] : graphs().captures)
    if (capture.thread == std::this_thread::get_id() && capture.mode != cudaStreamCaptureModeRelaxed)
      capture.invalidated = true;
}

}  // namespace

bool any_capture_active() {
  return g_active_captures.load(std::memory_order_acquire) != 0;
}

bool record_if_capturing(cudaStream_t stream, std::function<void()> work, const std::string& what) {
  if (g_active_captures.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard lock(graphs().mutex);
  const auto it = graphs().captures.find(stream);
  if (it == graphs().captures.end()) return false;
  if (it->second.invalidated)
    fail(what, " on a stream whose capture an earlier call invalidated (cudaErrorStreamCaptureInvalidated)");
  it->second.nodes.push_back(std::move(work));
  return true;
}

cudaError_t check_unsafe_call() {
  if (t_strict_captures == 0 || t_mode == cudaStreamCaptureModeRelaxed) return cudaSuccess;
  std::lock_guard lock(graphs().mutex);
  invalidate_own_captures();
  return cudaErrorStreamCaptureUnsupported;
}

cudaError_t check_not_capturing(cudaStream_t stream) {
  if (g_active_captures.load(std::memory_order_acquire) == 0) return cudaSuccess;
  std::lock_guard lock(graphs().mutex);
  const auto it = graphs().captures.find(stream);
  if (it == graphs().captures.end()) return cudaSuccess;
  it->second.invalidated = true;
  return cudaErrorStreamCaptureUnsupported;
}

}  // namespace kernels::simt::detail

using kernels::simt::detail::graphs;
using kernels::simt::detail::Nodes;

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
  if (stream == nullptr) return cudaErrorStreamCaptureUnsupported;  // the legacy stream cannot capture
  std::lock_guard lock(graphs().mutex);
  if (graphs().captures.count(stream) != 0) return cudaErrorIllegalState;
  graphs().captures[stream] = {mode, std::this_thread::get_id(), {}, false};
  if (mode != cudaStreamCaptureModeRelaxed) ++kernels::simt::detail::t_strict_captures;
  ++kernels::simt::detail::g_active_captures;
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  if (graph == nullptr) return cudaErrorInvalidValue;
  std::lock_guard lock(graphs().mutex);
  const auto it = graphs().captures.find(stream);
  if (it == graphs().captures.end()) return cudaErrorIllegalState;
  if (it->second.mode != cudaStreamCaptureModeRelaxed && it->second.thread != std::this_thread::get_id())
    return cudaErrorStreamCaptureWrongThread;
  const kernels::simt::detail::Capture capture = std::move(it->second);
  graphs().captures.erase(it);
  if (capture.mode != cudaStreamCaptureModeRelaxed) --kernels::simt::detail::t_strict_captures;
  --kernels::simt::detail::g_active_captures;
  *graph = nullptr;
  if (capture.invalidated) return cudaErrorStreamCaptureInvalidated;
  auto nodes = std::make_unique<Nodes>(std::move(capture.nodes));
  *graph = reinterpret_cast<cudaGraph_t>(nodes.get());
  graphs().graphs.emplace(*graph, std::move(nodes));
  return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus* status) {
  if (status == nullptr) return cudaErrorInvalidValue;
  std::lock_guard lock(graphs().mutex);
  const auto it = graphs().captures.find(stream);
  *status = it == graphs().captures.end() ? cudaStreamCaptureStatusNone
            : it->second.invalidated    ? cudaStreamCaptureStatusInvalidated
                                        : cudaStreamCaptureStatusActive;
  return cudaSuccess;
}

cudaError_t cudaThreadExchangeStreamCaptureMode(cudaStreamCaptureMode* mode) {
  if (mode == nullptr) return cudaErrorInvalidValue;
  std::swap(*mode, kernels::simt::detail::t_mode);
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
  if (exec == nullptr) return cudaErrorInvalidValue;
  std::lock_guard lock(graphs().mutex);
  const auto it = graphs().graphs.find(graph);
  if (it == graphs().graphs.end()) return cudaErrorInvalidValue;
  auto nodes = std::make_unique<Nodes>(*it->second);  // the exec is independent of its graph
  *exec = reinterpret_cast<cudaGraphExec_t>(nodes.get());
  graphs().execs.emplace(*exec, std::move(nodes));
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  const Nodes* nodes = nullptr;
  {
    std::lock_guard lock(graphs().mutex);
    const auto it = graphs().execs.find(exec);
    if (it == graphs().execs.end()) return cudaErrorInvalidValue;
    nodes = it->second.get();
  }
  const auto run = [nodes] {
    for (const auto& node : *nodes) node();
  };
  if (!kernels::simt::detail::record_if_capturing(stream, run, "cudaGraphLaunch")) run();
  return cudaSuccess;
}

cudaError_t cudaGraphGetNodes(cudaGraph_t graph, cudaGraphNode_t* nodes, std::size_t* count) {
  if (count == nullptr || nodes != nullptr) return cudaErrorInvalidValue;  // counting only
  std::lock_guard lock(graphs().mutex);
  const auto it = graphs().graphs.find(graph);
  if (it == graphs().graphs.end()) return cudaErrorInvalidValue;
  *count = it->second->size();
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  std::lock_guard lock(graphs().mutex);
  return graphs().execs.erase(exec) == 1 ? cudaSuccess : cudaErrorInvalidValue;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  std::lock_guard lock(graphs().mutex);
  return graphs().graphs.erase(graph) == 1 ? cudaSuccess : cudaErrorInvalidValue;
}
