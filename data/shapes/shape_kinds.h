// The geometric classes of the synthetic `shapes` data set: in-distribution, near-OOD and far-OOD
// kinds, each an inside-test in the shape's own rotated, stretched frame.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace data::shapes {

// pasted: novel kinds for the pasted-shapes outlier training set (never evaluated as OOD).
enum class Family { id, near_ood, far_ood, pasted };

enum class Kind {
  circle,
  square,
  triangle,
  star,
  cross,
  hexagon,
  crescent,
  arrow,
  blob,
  spiral,
  zigzag,
  heart,
  ring,
  ell
};

struct KindInfo {
  Kind kind;
  const char* name;
  Family family;
};

// All kinds in class order: ID first (circle, square, triangle, star, cross), then near-OOD
// (hexagon, crescent, arrow), far-OOD (blob, spiral, zigzag) and pasted outliers (heart, ring,
// ell).
const std::vector<KindInfo>& all_kinds();
std::vector<KindInfo> kinds_of(Family family);
std::vector<std::string> class_names(Family family);

// One placed shape. (cx, cy) centre and `radius` in pixels; aspect stretches x by sqrt(aspect)
// and y by 1/sqrt(aspect); angle in radians; wobble shapes the far-OOD blob's outline.
struct Placement {
  Kind kind = Kind::circle;
  double cx = 0, cy = 0, radius = 10, aspect = 1, angle = 0;
  std::array<double, 6> wobble{};

  // Call after setting the fields above: caches the local frame that contains() uses.
  void finalize();
  double ux = 1, uy = 0, vx = 0, vy = 1;  // (u, v) = (ux*dx + uy*dy, vx*dx + vy*dy)
};

// Whether image point (x, y) lies inside the shape; `u`, `v` receive the local coordinates
// (the shape spans about [-1, 1]^2 there), which textures use.
bool contains(const Placement& p, double x, double y, double& u, double& v);
// Half-size of an axis-aligned square around (cx, cy) that contains the whole shape.
double reach(const Placement& p);

}  // namespace data::shapes
