// Axis-aligned boxes and the one coordinate convention the whole data layer uses.
// Read this before touching boxes: VOC, COCO, transforms and detections all follow it.
#pragma once

namespace data {

// Convention. A Box is (x1, y1, x2, y2) in continuous pixel coordinates of the original image,
// x to the right, y down, width = x2 - x1. PASCAL VOC's bndbox values (1-based, inclusive) are
// stored unchanged: no -1 shift, no +1 on the width. This is exactly what the OOD literature's
// VOC-to-COCO conversion does (VOS convert_voc_to_coco.py, Dream-Box voc0712_train_all.json):
// COCO bbox = [xmin, ymin, xmax - xmin, ymax - ymin] on raw VOC numbers, so VOC -> Box -> COCO
// and COCO -> Box round-trip exactly. The price is that a VOC box sits half a pixel to the
// right/bottom of the object and is one pixel narrower; every method in the literature pays it.
// A usable box has 0 <= x1 < x2 <= image width and 0 <= y1 < y2 <= image height.
struct Box {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  double width() const { return x2 - x1; }
  double height() const { return y2 - y1; }
  double area() const { return width() * height(); }
  bool degenerate() const { return !(x2 > x1) || !(y2 > y1); }
  bool operator==(const Box&) const = default;
};

// Clamps the box to [0, width] x [0, height]; returns true when something moved.
bool clip_box(Box& box, double width, double height);

// Intersection over union of two boxes (0 when they do not overlap or both are degenerate).
double iou(const Box& a, const Box& b);

}  // namespace data
