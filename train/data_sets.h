// The data sets of a run: in-distribution training and test sets and the named OOD evaluation
// sets of a preset (shapes generated on first use, VOC read under --data-root).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "train/options.h"

namespace train {

struct DataSets {
  data::Dataset train, test;
  std::vector<std::pair<std::string, data::Dataset>> ood;  // name -> OOD evaluation set
};

// shapes: generates the synthetic set into options.data_root once; voc: PASCAL VOC 07+12 with
// the COCO and OpenImages OOD sets (a missing OOD set is skipped with a note). A missing VOC is an
// error that says where it was looked for and how to get it.
DataSets load_data_sets(const Options& options);

}  // namespace train
