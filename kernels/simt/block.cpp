// The block scheduler: every CUDA thread of a block is a Boost.Context fiber on one worker thread.
// Barriers and warp collectives switch back here; a sweep resumes ready threads in index order.
#include "kernels/simt/block.h"

#include <algorithm>
#include <bit>
#include <boost/context/fiber.hpp>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iomanip>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/simt/builtins.h"
#include "kernels/simt/error.h"
#include "kernels/simt/stack_pool.h"

namespace kernels::simt::detail {
namespace {

namespace ctx = boost::context;

enum class State : std::uint8_t { ready, barrier, warp, exited };

struct Thread {
  ctx::fiber fiber;  // empty while running and once finished
  uint3 index{};
  State state = State::ready;
  // waiting at a barrier
  std::source_location site;
  BarrierKind barrier_kind = BarrierKind::sync;
  int predicate = 0;
  int barrier_result = 0;
  // waiting in a warp collective
  WarpOp op = WarpOp::sync;
  unsigned mask = 0;
  std::uint64_t value = 0;
  int lane_arg = 0;
  int width = 32;
  WarpResult result{};
};

const char* name_of(WarpOp op) {
  switch (op) {
    case WarpOp::sync: return "__syncwarp";
    case WarpOp::shfl_idx: return "__shfl_sync";
    case WarpOp::shfl_up: return "__shfl_up_sync";
    case WarpOp::shfl_down: return "__shfl_down_sync";
    case WarpOp::shfl_xor: return "__shfl_xor_sync";
    case WarpOp::ballot: return "a vote (__ballot_sync/__any_sync/__all_sync)";
  }
  return "?";
}

const char* name_of(BarrierKind kind) {
  switch (kind) {
    case BarrierKind::sync: return "__syncthreads";
    case BarrierKind::count: return "__syncthreads_count";
    case BarrierKind::all: return "__syncthreads_and";
    case BarrierKind::any: return "__syncthreads_or";
  }
  return "?";
}

std::string where(const std::source_location& site) {  // file:line:column of a barrier call
  return std::string(site.file_name()) + ":" + std::to_string(site.line()) + ":" + std::to_string(site.column());
}

std::string hex(unsigned mask) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(8) << std::setfill('0') << mask;
  return out.str();
}

bool same_site(const std::source_location& a, const std::source_location& b) {
  return a.line() == b.line() && a.column() == b.column() && std::strcmp(a.file_name(), b.file_name()) == 0;
}

// The lane a shuffle reads from, with PTX's segment rule for `width`; the own lane if out of range.
unsigned source_lane(WarpOp op, unsigned lane, int lane_arg, int width) {
  const unsigned w = static_cast<unsigned>(width);
  const unsigned min_lane = lane & ~(w - 1) & 31u, max_lane = min_lane | (w - 1);
  const unsigned b = static_cast<unsigned>(lane_arg) & 31u;
  switch (op) {
    case WarpOp::shfl_idx: return min_lane | (b & (w - 1));
    case WarpOp::shfl_up: return lane >= min_lane + b ? lane - b : lane;
    case WarpOp::shfl_down: return lane + b <= max_lane ? lane + b : lane;
    case WarpOp::shfl_xor: return (lane ^ b) <= max_lane ? (lane ^ b) : lane;
    default: return lane;
  }
}

struct FreeDeleter {
  void operator()(std::byte* p) const { std::free(p); }
};

class BlockRunner {
 public:
  BlockRunner() : stacks_(fiber_stack_bytes()) {}

  void run(const LaunchConfig& config, const std::function<void()>& body, std::uint64_t linear_block);
  int barrier(BarrierKind kind, int predicate, const std::source_location& site);
  WarpResult warp(WarpOp op, unsigned mask, std::uint64_t value, int lane_arg, int width);
  DynamicShared dynamic_shared() const { return {shared_.get(), config_->dynamic_shared_bytes}; }

 private:
  ctx::fiber thread_main(unsigned i, ctx::fiber&& scheduler);
  void schedule();
  void resume(unsigned i);
  void yield() { scheduler_ = std::move(scheduler_).resume(); }
  void release_barrier();
  void resolve_warp(unsigned warp);
  void complete_warp(unsigned begin, unsigned lanes, WarpOp op);
  void prepare_shared_memory();
  std::string context() const;
  std::string describe_state(unsigned i) const;
  [[noreturn]] void throw_thread_error() const;
  [[noreturn]] void throw_deadlock() const;

  StackPool stacks_;
  std::vector<Thread> threads_;
  ctx::fiber scheduler_;  // the scheduler's continuation, held by the running thread
  const LaunchConfig* config_ = nullptr;
  const std::function<void()>* body_ = nullptr;
  uint3 block_index_{};
  unsigned count_ = 0, current_ = 0, exited_ = 0, at_barrier_ = 0;
  std::exception_ptr error_;
  unsigned error_thread_ = 0;
  std::unique_ptr<std::byte, FreeDeleter> shared_;
  std::size_t shared_capacity_ = 0;
};

thread_local BlockRunner* active = nullptr;  // the runner whose block runs on this thread

BlockRunner& runner_for_this_thread() {
  thread_local std::unique_ptr<BlockRunner> runner = std::make_unique<BlockRunner>();
  return *runner;
}

// ---------------------------------------------------------------------------------------------

void BlockRunner::run(const LaunchConfig& config, const std::function<void()>& body,
                      std::uint64_t linear_block) {
  config_ = &config;
  body_ = &body;
  const dim3 g = config.grid, b = config.block;
  block_index_ = {static_cast<unsigned>(linear_block % g.x), static_cast<unsigned>(linear_block / g.x % g.y),
                  static_cast<unsigned>(linear_block / (static_cast<std::uint64_t>(g.x) * g.y))};
  blockIdx = block_index_;
  blockDim = b;
  gridDim = g;
  count_ = b.x * b.y * b.z;
  exited_ = at_barrier_ = 0;
  error_ = nullptr;
  prepare_shared_memory();
  threads_.resize(count_);
  for (unsigned i = 0; i < count_; ++i) {
    Thread& t = threads_[i];
    t.index = {i % b.x, i / b.x % b.y, i / (b.x * b.y)};
    t.state = State::ready;
    t.fiber = ctx::fiber(std::allocator_arg, PooledStack{&stacks_},
                         [this, i](ctx::fiber&& scheduler) { return thread_main(i, std::move(scheduler)); });
  }
  active = this;
  std::exception_ptr failure;
  try {
    schedule();
  } catch (...) {
    failure = std::current_exception();
  }
  for (Thread& t : threads_) t.fiber = ctx::fiber();  // unwinds the stacks of suspended threads
  active = nullptr;
  if (failure) std::rethrow_exception(failure);
}

ctx::fiber BlockRunner::thread_main(unsigned i, ctx::fiber&& scheduler) {
  scheduler_ = std::move(scheduler);
  try {
    (*body_)();
  } catch (const ctx::detail::forced_unwind&) {
    throw;  // the block is being torn down: let Boost.Context finish unwinding this stack
  } catch (...) {
    if (!error_) {
      error_ = std::current_exception();
      error_thread_ = i;
    }
  }
  threads_[i].state = State::exited;
  return std::move(scheduler_);
}

void BlockRunner::resume(unsigned i) {
  current_ = i;
  threadIdx = threads_[i].index;
  threads_[i].fiber = std::move(threads_[i].fiber).resume();
}

// Sweeps the threads in index order, resuming every ready one until it waits or exits; a sweep
// in which no thread was ready while some have not exited is a deadlock.
void BlockRunner::schedule() {
  while (exited_ < count_) {
    bool progressed = false;
    for (unsigned i = 0; i < count_; ++i) {
      Thread& t = threads_[i];
      if (t.state != State::ready) continue;
      progressed = true;
      resume(i);
      if (error_) throw_thread_error();
      switch (t.state) {
        case State::exited:
          ++exited_;
          resolve_warp(i / 32);  // the lane no longer counts in its warp's masks
          release_barrier();
          break;
        case State::barrier:
          ++at_barrier_;
          release_barrier();
          break;
        case State::warp: resolve_warp(i / 32); break;
        case State::ready: fail("internal error: thread ", t.index, " switched out while ready");
      }
    }
    if (!progressed) throw_deadlock();
  }
}

int BlockRunner::barrier(BarrierKind kind, int predicate, const std::source_location& site) {
  Thread& t = threads_[current_];
  t.state = State::barrier;
  t.barrier_kind = kind;
  t.predicate = predicate;
  t.site = site;
  yield();
  return t.barrier_result;
}

// Releases the barrier once every thread of the block waits at it (and checks they wait at the
// same one); threads that exited while others wait make it a deadlock, as on a GPU.
void BlockRunner::release_barrier() {
  if (at_barrier_ == 0 || at_barrier_ + exited_ < count_) return;
  const auto in_state = [this](State state) -> const Thread& {
    return *std::find_if(threads_.begin(), threads_.end(), [state](const Thread& t) { return t.state == state; });
  };
  const Thread& first = in_state(State::barrier);
  if (exited_ > 0)
    fail("barrier deadlock in ", context(), ": ", at_barrier_, " threads wait at ", name_of(first.barrier_kind), " (",
         where(first.site), ") but ", exited_, " threads of the block have exited (first: thread ",
         in_state(State::exited).index, "); on a GPU this hangs or corrupts shared memory. Every thread of a block "
         "must reach each __syncthreads: do not return before a barrier, guard the work with an if instead");
  int count = 0;
  for (const Thread& t : threads_) {
    if (!same_site(t.site, first.site) || t.barrier_kind != first.barrier_kind)
      fail("divergent barrier in ", context(), ": thread ", first.index, " waits at ", name_of(first.barrier_kind),
           " (", where(first.site), ") but thread ", t.index, " at ", name_of(t.barrier_kind), " (", where(t.site),
           "); all threads of a block must reach the same barrier (a barrier inside a branch needs a "
           "condition that is the same for the whole block)");
    count += t.predicate != 0;
  }
  const int n = static_cast<int>(count_);
  for (Thread& t : threads_) {
    switch (t.barrier_kind) {
      case BarrierKind::sync: t.barrier_result = 0; break;
      case BarrierKind::count: t.barrier_result = count; break;
      case BarrierKind::all: t.barrier_result = count == n; break;
      case BarrierKind::any: t.barrier_result = count > 0; break;
    }
    t.state = State::ready;
  }
  at_barrier_ = 0;
}

WarpResult BlockRunner::warp(WarpOp op, unsigned mask, std::uint64_t value, int lane_arg, int width) {
  Thread& t = threads_[current_];
  const unsigned lane = current_ % 32;
  if (((mask >> lane) & 1u) == 0)
    fail(name_of(op), " called by lane ", lane, " with mask ", hex(mask),
         ", which does not name the calling lane; the mask must include every lane that calls it");
  if (width < 1 || width > 32 || !std::has_single_bit(static_cast<unsigned>(width)))
    fail(name_of(op), " with width ", width, ": the width must be a power of 2 from 1 to 32");
  t.state = State::warp;
  t.op = op;
  t.mask = mask;
  t.value = value;
  t.lane_arg = lane_arg;
  t.width = width;
  yield();
  return t.result;
}

// Completes every group of waiting lanes in `warp` whose mask is satisfied: all lanes it names
// (that exist and have not exited) wait in the same collective with the same mask.
void BlockRunner::resolve_warp(unsigned warp) {
  const unsigned begin = warp * 32, size = std::min(count_ - begin, 32u);
  const unsigned existing = size == 32 ? ~0u : (1u << size) - 1;
  unsigned exited = 0, waiting = 0;
  for (unsigned lane = 0; lane < size; ++lane) {
    const State s = threads_[begin + lane].state;
    if (s == State::exited) exited |= 1u << lane;
    if (s == State::warp) waiting |= 1u << lane;
  }
  for (unsigned pending = waiting; pending != 0;) {
    const unsigned lane = static_cast<unsigned>(std::countr_zero(pending));
    const Thread& t = threads_[begin + lane];
    const unsigned named = t.mask & existing, required = named & ~exited;
    if ((required & ~waiting) != 0) {  // some lane it needs has not arrived yet
      pending &= ~(1u << lane);
      continue;
    }
    for (unsigned others = required; others != 0; others &= others - 1) {
      const Thread& u = threads_[begin + static_cast<unsigned>(std::countr_zero(others))];
      if (u.op != t.op || (u.mask & existing) != named)
        fail("divergent warp collective in ", context(), ": thread ", t.index, " (lane ", lane, ") called ",
             name_of(t.op), " with mask ", hex(t.mask), " but thread ", u.index, " (lane ",
             std::countr_zero(others), ") called ", name_of(u.op), " with mask ", hex(u.mask),
             "; all lanes named in a mask must call the same collective with the same mask");
    }
    complete_warp(begin, required, t.op);
    waiting &= ~required;
    pending &= ~required;
  }
}

// Computes the results of one collective for `lanes` (a reader of a lane outside them gets its
// own value, as for an out-of-range source) and makes those lanes ready.
void BlockRunner::complete_warp(unsigned begin, unsigned lanes, WarpOp op) {
  std::uint64_t ballot = 0;
  if (op == WarpOp::ballot)
    for (unsigned l = lanes; l != 0; l &= l - 1) {
      const unsigned lane = static_cast<unsigned>(std::countr_zero(l));
      if (threads_[begin + lane].value != 0) ballot |= 1u << lane;
    }
  for (unsigned l = lanes; l != 0; l &= l - 1) {
    const unsigned lane = static_cast<unsigned>(std::countr_zero(l));
    Thread& t = threads_[begin + lane];
    t.result.participants = lanes;
    if (op == WarpOp::ballot) {
      t.result.value = ballot;
    } else if (op == WarpOp::sync) {
      t.result.value = 0;
    } else {
      const unsigned src = source_lane(op, lane, t.lane_arg, t.width);
      t.result.value = ((lanes >> src) & 1u) ? threads_[begin + src].value : t.value;
    }
    t.state = State::ready;
  }
}

void BlockRunner::prepare_shared_memory() {
  const std::size_t bytes = config_->dynamic_shared_bytes;
  if (bytes > shared_capacity_) {
    const std::size_t capacity = (bytes + 127) / 128 * 128;
    shared_.reset(static_cast<std::byte*>(std::aligned_alloc(128, capacity)));
    if (!shared_) fail("cannot allocate ", bytes, " bytes of dynamic shared memory");
    shared_capacity_ = capacity;
  }
  // Poison (0xff bytes: NaN as float, -1 as int) so that reading unwritten shared memory shows.
  if (bytes > 0) std::memset(shared_.get(), 0xff, bytes);
}

std::string BlockRunner::context() const {
  std::ostringstream out;
  out << "block " << block_index_ << " of the kernel launched at " << config_->site;
  return out.str();
}

std::string BlockRunner::describe_state(unsigned i) const {
  const Thread& t = threads_[i];
  switch (t.state) {
    case State::barrier: return std::string("waits at ") + name_of(t.barrier_kind) + " (" + where(t.site) + ")";
    case State::warp: return std::string("waits in ") + name_of(t.op) + " with mask " + hex(t.mask);
    case State::exited: return "has exited";
    case State::ready: return "is ready";
  }
  return "?";
}

void BlockRunner::throw_thread_error() const {
  std::string message = "unknown exception";
  try {
    std::rethrow_exception(error_);
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
  }
  if (message.rfind("simt: ", 0) == 0) message.erase(0, 6);
  fail("error in thread ", threads_[error_thread_].index, " of ", context(), ": ", message);
}

void BlockRunner::throw_deadlock() const {
  std::ostringstream out;
  out << "deadlock in " << context() << ": no thread can continue (" << exited_ << " exited, " << at_barrier_
      << " at a barrier, " << count_ - exited_ - at_barrier_ << " in warp collectives). ";
  for (unsigned i = 0; i < count_; ++i) {
    const Thread& t = threads_[i];
    if (t.state != State::warp) continue;
    const unsigned begin = i / 32 * 32;
    out << "Thread " << t.index << " (lane " << i % 32 << ") " << describe_state(i);
    for (unsigned lane = 0; lane < 32 && begin + lane < count_; ++lane) {
      const Thread& u = threads_[begin + lane];
      if (((t.mask >> lane) & 1u) && u.state != State::warp && u.state != State::exited) {
        out << " for lane " << lane << ", which " << describe_state(begin + lane);
        break;
      }
    }
    out << ". ";
    break;
  }
  out << "Every thread of a block must reach each __syncthreads, and every non-exited lane named in a "
         "warp mask must reach the same warp collective";
  throw Error("simt: " + out.str());
}

}  // namespace

// ---- entry points

void run_block(const LaunchConfig& config, const std::function<void()>& body, std::uint64_t linear_block) {
  if (active != nullptr) fail("a kernel launched from device code (dynamic parallelism) is not supported");
  runner_for_this_thread().run(config, body, linear_block);
}

bool inside_kernel() { return active != nullptr; }

int block_barrier(BarrierKind kind, int predicate, const std::source_location& site) {
  if (active == nullptr) fail(name_of(kind), " called outside a kernel (", where(site), ")");
  return active->barrier(kind, predicate, site);
}

WarpResult warp_collective(WarpOp op, unsigned mask, std::uint64_t value, int lane_arg, int width) {
  if (active == nullptr) fail(name_of(op), " called outside a kernel");
  return active->warp(op, mask, value, lane_arg, width);
}

DynamicShared dynamic_shared_memory() {
  if (active == nullptr) fail("dynamic shared memory used outside a kernel");
  return active->dynamic_shared();
}

void shared_out_of_bounds(std::size_t index, std::size_t count, std::size_t element_bytes) {
  fail("dynamic shared memory index ", static_cast<std::ptrdiff_t>(index), " is out of bounds: the ",
       dynamic_shared_memory().bytes, " bytes given at the launch hold ", count, " elements of ", element_bytes,
       " bytes (raise shared_bytes at the launch or fix the index)");
}

}  // namespace kernels::simt::detail
