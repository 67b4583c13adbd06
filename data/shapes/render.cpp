// Painter of the synthetic `shapes` images (see render.h). ID and near-OOD shapes share one
// palette and the textures solid/stripes/checker/gradient; far-OOD shapes use their own of each.
#include "data/shapes/render.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include "data/rng.h"

namespace data::shapes {

namespace {

using Rgb = std::array<float, 3>;

// Saturated colours of ID and near-OOD objects.
const std::vector<Rgb> kObjectPalette = {{220, 40, 40},  {40, 170, 60},  {40, 80, 220},
                                         {235, 200, 30}, {240, 130, 20}, {150, 50, 190},
                                         {30, 190, 200}};
// Far-OOD colours: muted and pastel tones never used by ID objects.
const std::vector<Rgb> kFarPalette = {{250, 190, 210}, {120, 120, 60},  {90, 70, 50},
                                      {200, 200, 200}, {160, 220, 170}, {60, 60, 80}};
// Background base colours (muted, so objects stand out but not trivially).
const std::vector<Rgb> kBackground = {{120, 110, 100}, {90, 110, 120},  {140, 135, 110},
                                      {100, 100, 100}, {130, 115, 125}, {80, 95, 85}};

enum class Texture { solid, stripes, checker, gradient, dots, rings, speckle };

struct Style {
  Texture texture = Texture::solid;
  Rgb a{}, b{};
  double frequency = 4;
  double phase = 0;
  std::uint64_t speckle_seed = 0;
};

Rgb pick(Rng& rng, const std::vector<Rgb>& palette) {
  return palette[rng.uniform_int(0, static_cast<std::int64_t>(palette.size()) - 1)];
}

Style draw_style(Rng& rng, Family family) {
  Style s;
  if (family == Family::far_ood) {
    const Texture far[] = {Texture::dots, Texture::rings, Texture::speckle};
    s.texture = far[rng.uniform_int(0, 2)];
    s.a = pick(rng, kFarPalette);
    do s.b = pick(rng, kFarPalette);
    while (s.b == s.a);
  } else {
    const Texture near[] = {Texture::solid, Texture::stripes, Texture::checker, Texture::gradient};
    s.texture = near[rng.uniform_int(0, 3)];
    s.a = pick(rng, kObjectPalette);
    do s.b = pick(rng, kObjectPalette);
    while (s.b == s.a);
  }
  s.frequency = rng.uniform(2.5, 5.0);
  s.phase = rng.uniform();
  s.speckle_seed = rng.next();
  return s;
}

// Texture colour at local coordinates (u, v) in about [-1, 1]^2.
Rgb shade(const Style& s, double u, double v) {
  auto mix = [&](double t) {
    Rgb c;
    for (int k = 0; k < 3; ++k) c[k] = static_cast<float>(s.a[k] + (s.b[k] - s.a[k]) * t);
    return c;
  };
  auto frac = [](double x) { return x - std::floor(x); };
  switch (s.texture) {
    case Texture::solid:
      return s.a;
    case Texture::stripes:
      return frac(u * s.frequency / 2 + s.phase) < 0.5 ? s.a : s.b;
    case Texture::checker:
      return (static_cast<int>(std::floor(u * s.frequency / 2 + 8)) +
              static_cast<int>(std::floor(v * s.frequency / 2 + 8))) %
                     2
                 ? s.a
                 : s.b;
    case Texture::gradient:
      return mix(std::clamp((u + v + 2) / 4, 0.0, 1.0));
    case Texture::dots: {
      double du = frac(u * s.frequency) - 0.5, dv = frac(v * s.frequency) - 0.5;
      return du * du + dv * dv < 0.09 ? s.b : s.a;
    }
    case Texture::rings:
      return frac(std::sqrt(u * u + v * v) * s.frequency * 1.5 + s.phase) < 0.5 ? s.a : s.b;
    case Texture::speckle: {
      auto cell = static_cast<std::uint64_t>(std::floor((u + 2) * 12)) * 131 +
                  static_cast<std::uint64_t>(std::floor((v + 2) * 12));
      return (mix64(s.speckle_seed ^ cell) & 1) ? s.a : s.b;
    }
  }
  return s.a;
}

// Smooth value noise between two background colours plus a few faint lines.
void paint_background(Image& im, Rng& rng) {
  Rgb c0 = pick(rng, kBackground), c1 = pick(rng, kBackground);
  int cell = static_cast<int>(rng.uniform_int(24, 56));
  int gw = im.width / cell + 2, gh = im.height / cell + 2;
  std::vector<float> grid(static_cast<std::size_t>(gw) * gh);
  for (auto& g : grid) g = static_cast<float>(rng.uniform());
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      double gx = static_cast<double>(x) / cell, gy = static_cast<double>(y) / cell;
      int ix = static_cast<int>(gx), iy = static_cast<int>(gy);
      double fx = gx - ix, fy = gy - iy;
      auto g = [&](int a, int b) { return grid[static_cast<std::size_t>(b) * gw + a]; };
      double t = (1 - fy) * ((1 - fx) * g(ix, iy) + fx * g(ix + 1, iy)) +
                 fy * ((1 - fx) * g(ix, iy + 1) + fx * g(ix + 1, iy + 1));
      for (int k = 0; k < 3; ++k)
        im.at(x, y)[k] = static_cast<std::uint8_t>(c0[k] + (c1[k] - c0[k]) * t);
    }
  int lines = static_cast<int>(rng.uniform_int(0, 3));
  for (int l = 0; l < lines; ++l) {
    double a = rng.uniform(0, std::numbers::pi), off = rng.uniform(-0.5, 0.5) * im.width;
    double nx = std::cos(a), ny = std::sin(a);
    float delta = static_cast<float>(rng.uniform(-25, 25));
    for (int y = 0; y < im.height; ++y)
      for (int x = 0; x < im.width; ++x) {
        double d = (x - im.width / 2.0) * nx + (y - im.height / 2.0) * ny - off;
        if (std::abs(d) < 1.2)
          for (int k = 0; k < 3; ++k)
            im.at(x, y)[k] =
                static_cast<std::uint8_t>(std::clamp(im.at(x, y)[k] + delta, 0.0f, 255.0f));
      }
  }
}

// Coverage (0..4 of 2x2 sub-samples) and texture colour of a shape at pixel (x, y).
int coverage(const Placement& p, int x, int y, const Style& style, Rgb& colour) {
  int hits = 0;
  Rgb sum{0, 0, 0};
  for (int sy = 0; sy < 2; ++sy)
    for (int sx = 0; sx < 2; ++sx) {
      double u, v;
      if (contains(p, x + 0.25 + 0.5 * sx, y + 0.25 + 0.5 * sy, u, v)) {
        Rgb c = shade(style, u, v);
        for (int k = 0; k < 3; ++k) sum[k] += c[k];
        ++hits;
      }
    }
  if (hits)
    for (int k = 0; k < 3; ++k) colour[k] = sum[k] / hits;
  return hits;
}

}  // namespace

RenderedImage render_image(Family family, std::uint64_t seed, const RenderOptions& opt) {
  Rng rng(seed);
  const auto kinds = kinds_of(family);
  const bool fixed = opt.width > 0 && opt.height > 0;
  int w = fixed ? opt.width : static_cast<int>(rng.uniform_int(opt.min_side, opt.max_side));
  int h = fixed ? opt.height : static_cast<int>(rng.uniform_int(opt.min_side, opt.max_side));
  RenderedImage out;
  out.image = Image(w, h);
  paint_background(out.image, rng);
  out.owner.assign(static_cast<std::size_t>(w) * h, -1);
  std::vector<int> owned;  // visible pixel count per placed object

  int wanted = static_cast<int>(rng.uniform_int(opt.min_objects, opt.max_objects));
  for (int attempt = 0; attempt < 30 && static_cast<int>(owned.size()) < wanted; ++attempt) {
    Placement p;
    int label = static_cast<int>(rng.uniform_int(0, static_cast<std::int64_t>(kinds.size()) - 1));
    p.kind = kinds[label].kind;
    p.radius = rng.uniform(opt.min_radius, opt.max_radius) * std::min(w, h);
    p.aspect = std::exp(rng.uniform(-0.5, 0.5));
    p.angle = rng.uniform(0, 2 * std::numbers::pi);
    // Most objects lie inside; one in four may hang over the border (truncated objects).
    double lo = rng.bernoulli(opt.truncated_share) ? -0.05 : opt.margin;
    p.cx = rng.uniform(lo, 1 - lo) * w;
    p.cy = rng.uniform(lo, 1 - lo) * h;
    for (auto& wb : p.wobble) wb = rng.uniform();
    p.finalize();
    Style style = draw_style(rng, family);

    double r = reach(p);
    int x0 = std::max(0, static_cast<int>(p.cx - r)),
        x1 = std::min(w - 1, static_cast<int>(p.cx + r) + 1);
    int y0 = std::max(0, static_cast<int>(p.cy - r)),
        y1 = std::min(h - 1, static_cast<int>(p.cy + r) + 1);
    // Dry run: pixels this shape would own, and how many it takes from each earlier object.
    std::vector<int> taken(owned.size(), 0);
    int mine = 0, ex0 = w, ex1 = -1, ey0 = h, ey1 = -1;
    Rgb colour;
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x)
        if (coverage(p, x, y, style, colour) >= 2) {
          ++mine;
          ex0 = std::min(ex0, x), ex1 = std::max(ex1, x), ey0 = std::min(ey0, y),
          ey1 = std::max(ey1, y);
          int o = out.owner[static_cast<std::size_t>(y) * w + x];
          if (o >= 0) ++taken[o];
        }
    bool ok = mine >= 60 && ex1 - ex0 >= 4 && ey1 - ey0 >= 4;
    for (std::size_t o = 0; o < owned.size() && ok; ++o)
      ok = taken[o] <= 0.4 * owned[o] && owned[o] - taken[o] >= 60;
    if (!ok) continue;
    int index = static_cast<int>(owned.size());
    for (std::size_t o = 0; o < owned.size(); ++o) owned[o] -= taken[o];
    owned.push_back(mine);
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        int hits = coverage(p, x, y, style, colour);
        if (!hits) continue;
        std::uint8_t* px = out.image.at(x, y);
        float a = hits / 4.0f;
        for (int k = 0; k < 3; ++k)
          px[k] = static_cast<std::uint8_t>(px[k] * (1 - a) + colour[k] * a + 0.5f);
        if (hits >= 2) out.owner[static_cast<std::size_t>(y) * w + x] = index;
      }
    RenderedObject obj;
    obj.label = label;
    out.objects.push_back(obj);
  }

  // Boxes bound each object's visible (owned) pixels, in VOC's 1-based inclusive numbers.
  std::vector<std::array<int, 4>> ext(out.objects.size(), {w, h, -1, -1});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      int o = out.owner[static_cast<std::size_t>(y) * w + x];
      if (o < 0) continue;
      auto& e = ext[o];
      e = {std::min(e[0], x), std::min(e[1], y), std::max(e[2], x), std::max(e[3], y)};
    }
  for (std::size_t o = 0; o < out.objects.size(); ++o) {
    auto& obj = out.objects[o];
    const auto& e = ext[o];
    obj.box = {e[0] + 1.0, e[1] + 1.0, e[2] + 1.0, e[3] + 1.0};
    obj.visible_pixels = owned[o];
    obj.truncated = e[0] == 0 || e[1] == 0 || e[2] == w - 1 || e[3] == h - 1;
    obj.difficult = owned[o] < 150;
  }

  // Sensor noise over everything (objects included), then done.
  for (auto& px : out.image.pixels)
    px = static_cast<std::uint8_t>(
        std::clamp(px + static_cast<int>(rng.uniform_int(-10, 10)), 0, 255));
  return out;
}

}  // namespace data::shapes
