// CudaEvent: records on the backend's stream, waits, and times the span between two records (a
// host sleep between them bounds it from below); misuse is a clear error.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine/cuda_backend.h"
#include "tests/cuda/cuda_test_util.h"

using engine::cuda_backend::CudaEvent;

namespace {

TEST(CudaEvent, TimesTheSpanBetweenTwoRecords) {
  SKIP_WITHOUT_CUDA_BACKEND();
  CudaEvent start, end;
  start.record();
  const engine::Tensor x =
      engine::add(engine::ones({1000}, {.device = engine::Device::cuda()}), 1.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  end.record();
  end.synchronize();
  const float ms = CudaEvent::elapsed_ms(start, end);
  EXPECT_GE(ms, 29.0f);
  EXPECT_LT(ms, 30000.0f);
  EXPECT_EQ(x.cpu().to_vector<float>()[999], 2.0f);         // the work before the record has run
  EXPECT_GE(CudaEvent::elapsed_ms(end, start), -30000.0f);  // reversed: negative, not an error
}

TEST(CudaEvent, UnrecordedEventsCannotBeTimed) {
  SKIP_WITHOUT_CUDA_BACKEND();
  CudaEvent start, end;
  start.record();
  try {
    CudaEvent::elapsed_ms(start, end);
    FAIL() << "timing an unrecorded event should throw";
  } catch (const engine::Error& e) {
    EXPECT_NE(std::string(e.what()).find("must have been recorded"), std::string::npos) << e.what();
  }
}

}  // namespace
