// Cost of one fiber switch with ucontext (swapcontext) and with Boost.Context (fiber::resume):
// the measurement behind the SIMT emulator's choice of Boost.Context (figures in RESULTS.md).
#include <benchmark/benchmark.h>
#include <ucontext.h>

#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>
#include <cstdint>
#include <vector>

namespace {

namespace ctx = boost::context;
constexpr std::size_t kStackBytes = 64 * 1024;

// ---- ucontext: a coroutine that bounces straight back; one iteration = 2 switches.
ucontext_t main_context, fiber_context;
volatile std::uint64_t bounces = 0;

void bounce() {
  for (;;) {
    bounces = bounces + 1;
    swapcontext(&fiber_context, &main_context);
  }
}

void BM_UcontextSwitch(benchmark::State& state) {
  std::vector<char> stack(kStackBytes);
  getcontext(&fiber_context);
  fiber_context.uc_stack.ss_sp = stack.data();
  fiber_context.uc_stack.ss_size = stack.size();
  fiber_context.uc_link = nullptr;
  makecontext(&fiber_context, bounce, 0);
  for (auto _ : state) swapcontext(&main_context, &fiber_context);
  state.counters["ns_per_switch"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 2, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_UcontextSwitch);

// ---- Boost.Context fiber: the same bounce; one iteration = 2 switches.
void BM_BoostContextSwitch(benchmark::State& state) {
  bool stop = false;
  ctx::fiber f{std::allocator_arg, ctx::fixedsize_stack(kStackBytes), [&stop](ctx::fiber&& caller) {
                 while (!stop) caller = std::move(caller).resume();
                 return std::move(caller);
               }};
  for (auto _ : state) f = std::move(f).resume();
  stop = true;
  f = std::move(f).resume();  // lets the fiber return so its stack is released
  state.counters["ns_per_switch"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 2, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_BoostContextSwitch);

// ---- Boost.Context: create a fiber, run it to its end (what a barrier-free CUDA thread costs).
void BM_BoostContextCreateRun(benchmark::State& state) {
  ctx::fixedsize_stack salloc(kStackBytes);
  for (auto _ : state) {
    ctx::fiber f{std::allocator_arg, salloc, [](ctx::fiber&& caller) { return std::move(caller); }};
    f = std::move(f).resume();
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_BoostContextCreateRun);

}  // namespace
