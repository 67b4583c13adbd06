// Inside-tests for the shapes data set's kinds (see shape_kinds.h); polygons use the even-odd
// ray test, curved kinds a polar or implicit formula in local coordinates.
#include "data/shapes/shape_kinds.h"

#include <cmath>
#include <numbers>
#include <utility>

namespace data::shapes {

namespace {

using Pt = std::pair<double, double>;

bool in_polygon(const std::vector<Pt>& poly, double u, double v) {
  bool inside = false;
  for (std::size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
    auto [xi, yi] = poly[i];
    auto [xj, yj] = poly[j];
    if ((yi > v) != (yj > v) && u < (xj - xi) * (v - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

std::vector<Pt> regular(int n, double r_outer, double r_inner, double phase) {
  std::vector<Pt> pts;
  int count = r_inner > 0 ? 2 * n : n;
  for (int k = 0; k < count; ++k) {
    double r = (r_inner > 0 && k % 2 == 1) ? r_inner : r_outer;
    double a = phase + 2 * std::numbers::pi * k / count;
    pts.push_back({r * std::cos(a), r * std::sin(a)});
  }
  return pts;
}

const std::vector<Pt>& star_polygon() {
  static const auto p = regular(5, 1.0, 0.45, -std::numbers::pi / 2);
  return p;
}
const std::vector<Pt>& hexagon_polygon() {
  static const auto p = regular(6, 0.95, 0, 0);
  return p;
}
const std::vector<Pt>& ell_polygon() {
  static const std::vector<Pt> p = {{-0.8, -0.95}, {-0.3, -0.95}, {-0.3, 0.45},
                                    {0.8, 0.45},   {0.8, 0.95},   {-0.8, 0.95}};
  return p;
}
const std::vector<Pt>& arrow_polygon() {
  static const std::vector<Pt> p = {{-0.95, -0.25}, {0.2, -0.25}, {0.2, -0.65}, {0.95, 0},
                                    {0.2, 0.65},    {0.2, 0.25},  {-0.95, 0.25}};
  return p;
}

}  // namespace

const std::vector<KindInfo>& all_kinds() {
  static const std::vector<KindInfo> kinds = {{Kind::circle, "circle", Family::id},
                                              {Kind::square, "square", Family::id},
                                              {Kind::triangle, "triangle", Family::id},
                                              {Kind::star, "star", Family::id},
                                              {Kind::cross, "cross", Family::id},
                                              {Kind::hexagon, "hexagon", Family::near_ood},
                                              {Kind::crescent, "crescent", Family::near_ood},
                                              {Kind::arrow, "arrow", Family::near_ood},
                                              {Kind::blob, "blob", Family::far_ood},
                                              {Kind::spiral, "spiral", Family::far_ood},
                                              {Kind::zigzag, "zigzag", Family::far_ood},
                                              {Kind::heart, "heart", Family::pasted},
                                              {Kind::ring, "ring", Family::pasted},
                                              {Kind::ell, "ell", Family::pasted}};
  return kinds;
}

std::vector<KindInfo> kinds_of(Family family) {
  std::vector<KindInfo> out;
  for (const auto& k : all_kinds())
    if (k.family == family) out.push_back(k);
  return out;
}

std::vector<std::string> class_names(Family family) {
  std::vector<std::string> out;
  for (const auto& k : kinds_of(family)) out.push_back(k.name);
  return out;
}

double reach(const Placement& p) {
  double stretch = std::max(std::sqrt(p.aspect), 1 / std::sqrt(p.aspect));
  return p.radius * stretch * 1.45;  // 1.45 > sqrt(2): the local square [-1, 1]^2 at any angle
}

void Placement::finalize() {
  double c = std::cos(angle), s = std::sin(angle), sa = std::sqrt(aspect);
  ux = c / (radius * sa);
  uy = s / (radius * sa);
  vx = -s / (radius / sa);
  vy = c / (radius / sa);
}

bool contains(const Placement& p, double x, double y, double& u, double& v) {
  double dx = x - p.cx, dy = y - p.cy;
  u = p.ux * dx + p.uy * dy;
  v = p.vx * dx + p.vy * dy;
  if (std::abs(u) > 1.05 || std::abs(v) > 1.05) return false;
  double r2 = u * u + v * v;
  switch (p.kind) {
    case Kind::circle:
      return r2 <= 1;
    case Kind::square:
      return std::abs(u) <= 0.85 && std::abs(v) <= 0.85;
    case Kind::triangle:
      return v <= 0.5 && v >= 1.7320508 * std::abs(u) - 1;
    case Kind::star:
      return in_polygon(star_polygon(), u, v);
    case Kind::cross:
      return (std::abs(u) <= 0.3 && std::abs(v) <= 0.95) ||
             (std::abs(u) <= 0.95 && std::abs(v) <= 0.3);
    case Kind::hexagon:
      return in_polygon(hexagon_polygon(), u, v);
    case Kind::crescent:
      return r2 <= 1 && (u - 0.45) * (u - 0.45) + v * v > 0.75 * 0.75;
    case Kind::arrow:
      return in_polygon(arrow_polygon(), u, v);
    case Kind::blob: {
      double a = std::atan2(v, u), r = 0.72;
      for (int k = 0; k < 3; ++k)
        r += 0.09 * p.wobble[k] * std::sin((k + 2) * a + 6.2832 * p.wobble[k + 3]);
      return std::sqrt(r2) <= r;
    }
    case Kind::spiral: {
      double r = std::sqrt(r2);
      if (r > 1 || r < 0.12) return false;
      double t = r * 2.5 - std::atan2(v, u) / (2 * std::numbers::pi);
      return t - std::floor(t) < 0.5;
    }
    case Kind::zigzag: {
      double t = u * 2;
      double tri = 4 * std::abs(t - std::floor(t + 0.5)) - 1;  // triangle wave in [-1, 1]
      return std::abs(u) <= 0.95 && std::abs(v - 0.6 * tri) <= 0.25;
    }
    case Kind::heart: {                      // two lobes on top of a downward point
      const double x = std::abs(u), y = -v;  // y up
      return (x - 0.42) * (x - 0.42) + (y - 0.35) * (y - 0.35) <= 0.42 * 0.42 ||
             (y <= 0.4 && y >= -0.95 && x <= 0.84 * (y + 0.95) / 1.35);
    }
    case Kind::ring:
      return r2 <= 0.95 * 0.95 && r2 >= 0.55 * 0.55;
    case Kind::ell:
      return in_polygon(ell_polygon(), u, v);
  }
  return false;
}

}  // namespace data::shapes
