// Input-pipeline benchmark: VOC-sized (500x375) JPEGs -> decode -> keep-ratio resize to 800 px ->
// random flip -> normalize -> [2, 3, 800, 1088] batches; images/s, ours vs torchvision on 2 cores.
//   build/bench/data/data_bench --benchmark_counters_tabular=true   (DREAMBOX_NO_TORCHVISION=1
//   skips it)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "data/host_batch.h"
#include "data/image.h"
#include "data/loader.h"
#include "data/shapes/render.h"
#include "data/transforms.h"

namespace {

namespace fs = std::filesystem;
constexpr int kImages = 48;

// The benchmark's images: synthetic scenes resized to 500x375, JPEG quality 90, on disk.
struct Fixture {
  fs::path dir;
  data::Dataset dataset;
  Fixture() {
    dir = fs::temp_directory_path() / ("dreambox_data_bench_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    dataset.categories = {{1, "thing", ""}};
    dataset.image_root = dir.string();
    data::shapes::RenderOptions opt;
    opt.min_side = 375;
    opt.max_side = 500;
    for (int i = 0; i < kImages; ++i) {
      data::Image im = data::resize_bilinear(
          data::shapes::render_image(data::shapes::Family::id, i, opt).image, 500, 375);
      std::string name = "img" + std::to_string(i) + ".jpg";
      data::save_image(im, (dir / name).string(), 90);
      dataset.images.push_back({std::to_string(i), true, name, 500, 375, {}});
    }
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

data::TransformConfig config() {
  data::TransformConfig c = data::TransformConfig::test(800, 1333);
  c.flip_probability = 0.5;
  return c;
}

// torchvision side, run once: images/s or 0 when unavailable.
double torchvision_images_per_second(int workers) {
  if (std::getenv("DREAMBOX_NO_TORCHVISION")) return 0;
  std::string cmd = std::string("/usr/bin/python3 ") + DREAMBOX_TORCHVISION_SCRIPT + " " +
                    fixture().dir.string() + " --workers " + std::to_string(workers) + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return 0;
  char line[512];
  double ips = 0;
  while (std::fgets(line, sizeof line, pipe))
    if (std::sscanf(line, "images_per_second=%lf", &ips) != 1) std::cerr << "torchvision: " << line;
  ::pclose(pipe);
  return ips;
}

void report(benchmark::State& state, double ours, int workers) {
  static double tv[3] = {-1, -1, -1};
  if (tv[workers] < 0) tv[workers] = torchvision_images_per_second(workers);
  state.counters["images/s"] = ours;
  if (tv[workers] > 0) {
    state.counters["torchvision_images/s"] = tv[workers];
    state.counters["speedup"] = ours / tv[workers];
  }
}

// One thread, no loader: decode + transform + collate, batch of 2.
void BM_Pipeline1Thread(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t next = 0, images = 0;
  std::vector<float> storage;
  auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    std::size_t idx[2] = {next % kImages, (next + 1) % kImages};
    next += 2;
    data::HostBatch b = data::make_batch(f.dataset, idx, config(), 0, 0, std::move(storage));
    benchmark::DoNotOptimize(b.images.data());
    storage = std::move(b.images);
    images += 2;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report(state, images / s, 0);
}
BENCHMARK(BM_Pipeline1Thread)->Unit(benchmark::kMillisecond)->UseRealTime();

// The real loader with 2 workers (2 cores), one epoch of 48 images per iteration.
void BM_Loader2Workers(benchmark::State& state) {
  Fixture& f = fixture();
  data::LoaderConfig cfg;
  cfg.batch_size = 2;
  cfg.num_workers = 2;
  cfg.prefetch_batches = 4;
  cfg.transform = config();
  data::Loader loader(f.dataset, cfg);
  std::size_t images = 0, epoch = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    loader.start_epoch(epoch++);
    while (auto b = loader.next()) {
      benchmark::DoNotOptimize(b->images.data());
      images += static_cast<std::size_t>(b->size);
      loader.recycle(std::move(*b));  // as a training loop does after copying into a tensor
    }
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report(state, images / s, 2);
}
BENCHMARK(BM_Loader2Workers)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

// The parts alone, per image (for finding the bottleneck).
void BM_DecodeOnly(benchmark::State& state) {
  Fixture& f = fixture();
  std::size_t i = 0;
  for (auto _ : state) {
    data::Image im = data::load_image(f.dataset.image_path(f.dataset.images[i++ % kImages]));
    benchmark::DoNotOptimize(im.pixels.data());
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeOnly)->Unit(benchmark::kMillisecond);

void BM_ResizeFlipNormalizeOnly(benchmark::State& state) {
  data::Image im = data::load_image(fixture().dataset.image_path(fixture().dataset.images[0]));
  std::vector<float> out(3 * 800 * 1088);
  for (auto _ : state) {
    data::resize_flip_normalize(im, 1067, 800, true, {}, out.data(), 1088, 800);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ResizeFlipNormalizeOnly)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
