// The diffusion side on cuda (kernels in the SIMT emulator) against the CPU oracle: the UNet's
// forward and backward, guided DDIM inpainting, the training stage and the outliers stage.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "data/image.h"
#include "engine/autograd.h"
#include "engine/cuda_backend.h"
#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "models/ddim_inpaint.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/models/formula_weights.h"
#include "tests/train/tiny_shapes.h"
#include "train/diffusion_training.h"
#include "train/outlier_generation.h"
#include "train/run_dir.h"

using namespace engine;
namespace fs = std::filesystem;

namespace {

// Largest |got - want| (got may live on cuda).
double max_error(const Tensor& got, const Tensor& want) {
  EXPECT_EQ(got.shape(), want.shape());
  const auto g = got.cpu().to(DType::f64).contiguous().to_vector<double>();
  const auto w = want.to(DType::f64).contiguous().to_vector<double>();
  double worst = 0;
  for (std::size_t i = 0; i < w.size(); ++i) worst = std::max(worst, std::abs(g[i] - w[i]));
  return worst;
}

double max_abs(const Tensor& t) {
  return max(abs(t.cpu().to(DType::f64))).item();
}

// Largest |got - want| relative to the largest |want|.
double relative_error(const Tensor& got, const Tensor& want) {
  return max_error(got, want) / std::max(max_abs(want), 1e-30);
}

// The f32 results of cuda against the same network run in f64 on the CPU (the oracle): within
// kUNetTolerance of the largest |value| of the block the tensor belongs to (2e-5 is the bound
// the CPU UNet meets against PyTorch, tests/models/unet_test.cpp). A block's parameters share
// its upstream gradient, and rounding noise scales with the block's largest gradients, not with
// each tensor's own: the attention's key bias has a gradient of exactly zero in exact arithmetic
// (softmax ignores a shift shared by all keys), so on it any f32 summation order leaves pure
// noise, relative to nothing of its own.
constexpr double kUNetTolerance = 2e-5;

void expect_close_to_oracle(const Tensor& cuda,
                            const Tensor& f64,
                            double scale,
                            const std::string& what) {
  EXPECT_LE(max_error(cuda, f64), kUNetTolerance * scale)
      << what << ": largest |value| in its block " << scale;
}

// "up_blocks.0.attentions.1.to_k.bias" -> "up_blocks.0.attentions.1"; "conv_in.weight" -> "".
std::string block_of(const std::string& name) {
  std::size_t end = name.rfind('.');
  end = end == std::string::npos ? 0 : name.rfind('.', end - 1);
  return end == std::string::npos ? "" : name.substr(0, end);
}

// Converts every parameter and buffer of a CPU module to f64 in place (for the oracle).
void to_f64(nn::Module& module) {
  for (const auto& [name, t] : module.state_dict()) {
    const Tensor d = t.detach().to(DType::f64);
    t.impl().storage = d.impl().storage;
    t.impl().dtype = DType::f64;
  }
}

// A CPU UNet with formula weights (no zero-initialised layers), its copy moved to cuda and (when
// asked) an f64 copy on the CPU.
struct UNetPair {
  Generator gen{1};
  const models::UNetConfig config = test_formula::tiny_unet_config();
  models::UNet2DModel cpu{config, gen}, cuda{config, gen}, f64{config, gen};
  UNetPair() {
    test_formula::load_diffusion_formula(cpu);
    cuda.load_state_dict(cpu.state_dict());
    cuda.to(Device::cuda());
    f64.load_state_dict(cpu.state_dict());
    to_f64(f64);
  }
};

}  // namespace

TEST(DiffusionCuda, UNetForwardAndBackwardMatchCpu) {
  SKIP_WITHOUT_CUDA_BACKEND();
  UNetPair nets;
  EXPECT_TRUE(nets.cuda.device().is_cuda());
  Generator gen(3);
  const Tensor input = randn({2, 7, 16, 16}, gen);               // [N, 7, H, W]
  const Tensor t = from_vector<std::int64_t>({17, 803}, {2});    // a low and a high noise level
  const Tensor labels = from_vector<std::int64_t>({1, 3}, {2});  // a class and the null row
  const Tensor probe = randn({2, 3, 16, 16}, gen);               // backward of sum(out * probe)

  models::UNet2DModel* nets_by_run[3] = {&nets.cpu, &nets.cuda, &nets.f64};
  Tensor out[3], x[3];
  for (int r = 0; r < 3; ++r) {
    const Device device = r == 1 ? Device::cuda() : Device::cpu();
    x[r] = (r == 2 ? input.to(DType::f64) : input.clone()).to(device);
    x[r].requires_grad_();
    out[r] = nets_by_run[r]->forward(x[r], t.to(device), labels.to(device));
    sum(mul(out[r], probe.to(out[r].dtype()).to(device))).backward();
  }
  ASSERT_TRUE(out[1].device().is_cuda());
  EXPECT_LE(relative_error(out[1], out[0]), kUNetTolerance) << "output, cuda vs cpu";
  expect_close_to_oracle(out[1], out[2], max_abs(out[2]), "output");
  expect_close_to_oracle(x[1].grad(), x[2].grad(), max_abs(x[2].grad()), "input gradient");
  const auto cuda_params = nets.cuda.named_parameters(), f64_params = nets.f64.named_parameters();
  ASSERT_EQ(f64_params.size(), cuda_params.size());
  std::map<std::string, double> block_scale;
  for (const auto& [name, p] : f64_params) {
    ASSERT_TRUE(p.grad().defined()) << name;
    double& s = block_scale[block_of(name)];
    s = std::max(s, max_abs(p.grad()));
  }
  for (std::size_t i = 0; i < f64_params.size(); ++i) {
    const auto& [name, p] = f64_params[i];
    const Tensor g_cuda = cuda_params[i].second.grad();
    ASSERT_TRUE(g_cuda.defined()) << name;
    EXPECT_TRUE(g_cuda.device().is_cuda()) << name;
    expect_close_to_oracle(g_cuda, p.grad(), block_scale[block_of(name)], name);
  }
}

// Guided inpainting with eta > 0: x_T, the per-step noise and the null/class embeddings come
// from the same Philox numbers on both devices, so the samples agree up to the UNet's rounding
// (kUNetTolerance per forward) carried through the steps: eps_u + 3 (eps_c - eps_u) can take 5x a
// forward's difference, hence 1e-4 (measured: 8e-6).
TEST(DiffusionCuda, GuidedDdimInpaintingMatchesCpu) {
  SKIP_WITHOUT_CUDA_BACKEND();
  UNetPair nets;
  Generator data(5);
  const Tensor image = clamp(randn({2, 3, 16, 16}, data), -1.0, 1.0);  // [N, 3, H, W]
  Tensor mask = zeros({2, 1, 16, 16});
  mask.narrow(2, 3, 9).narrow(3, 4, 8).fill_(1.0);  // the box to repaint
  models::DDIMSchedulerConfig config;
  config.prediction_type = models::PredictionType::v_prediction;
  const models::InpaintOptions options{
      .num_inference_steps = 4, .eta = 0.5, .guidance_scale = 3.0, .replace_known = true};
  const Tensor labels = from_vector<std::int64_t>({0, 2}, {2});
  Tensor samples[2];
  for (int d = 0; d < 2; ++d) {
    models::UNet2DModel& unet = d == 0 ? nets.cpu : nets.cuda;
    const Device device = d == 0 ? Device::cpu() : Device::cuda();
    models::DDIMScheduler scheduler(config);
    Generator gen(9);
    autograd::NoGradGuard no_grad;
    const Tensor emb = unet.class_embedding(labels.to(device));  // [N, E]
    samples[d] =
        models::inpaint(unet, scheduler, image.to(device), mask.to(device), emb, options, gen);
  }
  ASSERT_TRUE(samples[1].device().is_cuda());
  EXPECT_LE(relative_error(samples[1], samples[0]), 1e-4);
  // The known pixels are the image's own on both devices.
  const Tensor keep = 1.0 - mask;
  EXPECT_EQ(mul(samples[1].cpu(), keep).to_vector<float>(), mul(image, keep).to_vector<float>());
}

TEST(DiffusionCuda, ModifiedClassEmbeddingNoiseIsTheSame) {
  SKIP_WITHOUT_CUDA_BACKEND();
  UNetPair nets;
  Generator a(21), b(21);
  const Tensor want = train::modified_class_embedding(nets.cpu, 2, 0.7, a);
  const Tensor got = train::modified_class_embedding(nets.cuda, 2, 0.7, b);
  ASSERT_TRUE(got.device().is_cuda());
  EXPECT_EQ(a.offset(), b.offset());
  // Philox normals agree to 1e-6 (tests/cuda op table); the class row is copied exactly.
  EXPECT_LE(relative_error(got, want), 1e-6);
  EXPECT_GT(relative_error(want, nets.cpu.class_embedding(from_vector<std::int64_t>({2}, {1}))),
            0.1);  // the noise is there
}

using DiffusionCudaStage = train_test::TinyShapes;

// Two steps of the training stage (AdamW with warm-up, clipping at 1, EMA, Min-SNR v loss) on
// cuda and on the CPU: same crops, timesteps and noise, so the same losses. The trained weights
// are compared through what they compute (the UNet and its EMA copy, loaded from each run's
// checkpoint, on a fixed batch), not element by element: cpu-demo's GroupNorm has one channel
// per group, so e.g. the bias of a conv feeding a norm has a gradient of exactly zero in exact
// arithmetic and rounding noise on both devices, which AdamW (dividing by |g|) turns into steps
// of +-lr; the network's output does not depend on such parameters at all.
TEST_F(DiffusionCudaStage, TrainingStepsMatchCpu) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const auto o = options({"--diffusion-steps", "2", "--diffusion-batch-size", "2", "--ddim-steps",
                          "1", "--grad-clip", "1"});
  const std::string cpu_run = root_ + "/cpu", cuda_run = root_ + "/cuda";
  train::train_diffusion(o, cpu_run, train_set_, Device::cpu());
  train::train_diffusion(o, cuda_run, train_set_, Device::cuda());
  const auto want = train_test::logged_losses(cpu_run + "/diffusion/log.jsonl");
  const auto got = train_test::logged_losses(cuda_run + "/diffusion/log.jsonl");
  ASSERT_EQ(want.size(), 2u);
  ASSERT_EQ(got.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i)  // a mean of the UNet's outputs (measured: 6e-8 relative)
    EXPECT_NEAR(got[i], want[i], kUNetTolerance * want[i]) << "step " << i;
  EXPECT_TRUE(fs::exists(cuda_run + "/diffusion/preview.png"));

  const models::UNetConfig config = train::diffusion_unet_config(o, 5);
  Generator init(0), data(8);
  train::DiffusionModels a(config, init), b(config, init);
  train::load_model_weights(cpu_run + "/diffusion/checkpoint_last.safetensors", a);
  train::load_model_weights(cuda_run + "/diffusion/checkpoint_last.safetensors", b);
  const Tensor x = randn({2, 7, 8, 8}, data);
  const Tensor t = from_vector<std::int64_t>({40, 900}, {2});
  const Tensor labels = from_vector<std::int64_t>({0, 5}, {2});
  {  // the updates differ by rounding only: as close as one forward pass (measured: 3e-7)
    autograd::NoGradGuard no_grad;
    EXPECT_LE(relative_error(b.unet->forward(x, t, labels), a.unet->forward(x, t, labels)),
              kUNetTolerance)
        << "trained UNet";
    EXPECT_LE(relative_error(b.ema->forward(x, t, labels), a.ema->forward(x, t, labels)),
              kUNetTolerance)
        << "EMA UNet";
  }
  // The cuda run's checkpoint (CPU tensors) continues on the CPU.
  const auto more = options({"--diffusion-steps", "3", "--diffusion-batch-size", "2",
                             "--ddim-steps", "1", "--grad-clip", "1"});
  EXPECT_EQ(train::train_diffusion(more, cuda_run, train_set_, Device::cpu()).steps, 3);
}

// The outliers stage with the same UNet on both devices paints the same images (8-bit PNGs:
// at most one level apart where a value sits at a rounding edge; measured: 1) and flags.
TEST_F(DiffusionCudaStage, OutliersMatchCpu) {
  SKIP_WITHOUT_CUDA_BACKEND();
  const auto o =
      options({"--outlier-images", "2", "--ddim-steps", "2", "--outlier-min-area", "300"});
  Generator init(4);
  models::UNet2DModel cpu(train::diffusion_unet_config(o, 5), init);
  test_formula::load_formula(cpu);
  Generator init2(4);
  models::UNet2DModel cuda(train::diffusion_unet_config(o, 5), init2);
  cuda.load_state_dict(cpu.state_dict());
  cuda.to(Device::cuda());
  const auto want = train::generate_outliers(o, root_ + "/cpu", train_set_, cpu);
  const auto got = train::generate_outliers(o, root_ + "/cuda", train_set_, cuda);
  ASSERT_EQ(got.outliers.images.size(), 2u);
  ASSERT_EQ(want.outliers.images.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& g = got.outliers.images[i];
    const auto& w = want.outliers.images[i];
    EXPECT_EQ(g.file_name, w.file_name);
    ASSERT_EQ(g.objects.size(), w.objects.size());
    for (std::size_t j = 0; j < g.objects.size(); ++j)
      EXPECT_EQ(g.objects[j].ood, w.objects[j].ood);
    const auto pg = data::load_image(got.outliers.image_path(g)).pixels;
    const auto pw = data::load_image(want.outliers.image_path(w)).pixels;
    ASSERT_EQ(pg.size(), pw.size());
    int worst = 0;
    for (std::size_t k = 0; k < pg.size(); ++k) worst = std::max(worst, std::abs(pg[k] - pw[k]));
    EXPECT_LE(worst, 1) << g.file_name;
  }
}
