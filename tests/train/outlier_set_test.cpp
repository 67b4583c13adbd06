// The --outliers data set: JSON[:IMAGE_DIR] parsing, labels remapped onto the ID classes by name,
// and a clear error for each bad input (missing file, foreign category, no outliers, no image).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "data/image.h"
#include "train/outlier_set.h"

namespace fs = std::filesystem;

namespace {

class OutlierSet : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dreambox_outlier_set_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "images");
    data::save_image(data::Image(8, 8), (dir_ / "images" / "a.png").string());
    id_.categories = {{1, "circle", ""}, {2, "square", ""}};
    id_.image_root = "/id/images";
    data::ImageRecord record;
    record.id = "1";
    record.file_name = "1.jpg";
    id_.images = {record};
  }
  void TearDown() override { fs::remove_all(dir_); }
  // A one-image COCO file with the given categories and "ood" flag; returns its path.
  std::string write(const std::string& categories, int ood, const std::string& file = "a.png") {
    const std::string path = (dir_ / "outliers.json").string();
    std::ofstream(path) << R"({"images": [{"id": "o1", "width": 8, "height": 8, "file_name": ")"
                        << file << R"("}], "categories": )" << categories
                        << R"(, "annotations": [{"id": 1, "image_id": "o1", "category_id": 7,)"
                        << R"( "bbox": [1, 1, 4, 4], "area": 16, "iscrowd": 0, "ood": )" << ood
                        << "}]}";
    return path;
  }
  std::string error_of(const train::OutlierSource& source) {
    try {
      train::load_outlier_set(source, id_);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
  data::Dataset id_;
};

TEST_F(OutlierSet, ParsesTheFlag) {
  EXPECT_EQ(train::parse_outlier_source("sets/out.json").image_dir, "sets");
  EXPECT_EQ(train::parse_outlier_source("out.json").image_dir, ".");
  const auto both = train::parse_outlier_source("sets/out.json:/data/images");
  EXPECT_EQ(both.json, "sets/out.json");
  EXPECT_EQ(both.image_dir, "/data/images");
}

TEST_F(OutlierSet, LabelsFollowTheIdClassNames) {
  // Category 7 is "square", the second ID class, whatever its id in the outlier file.
  const std::string json =
      write(R"([{"id": 3, "name": "circle"}, {"id": 7, "name": "square"}])", 1);
  const data::Dataset set = train::load_outlier_set({json, (dir_ / "images").string()}, id_);
  ASSERT_EQ(set.images.size(), 1u);
  EXPECT_EQ(set.images[0].objects[0].label, 1);
  EXPECT_TRUE(set.images[0].objects[0].ood);
  EXPECT_EQ(set.categories[1].id, 2);  // the ID categories
  const data::Dataset merged = train::with_outliers(id_, set);
  ASSERT_EQ(merged.images.size(), 2u);
  EXPECT_EQ(merged.image_path(merged.images[0]), "/id/images/1.jpg");
  EXPECT_EQ(merged.image_path(merged.images[1]), (dir_ / "images" / "a.png").string());
}

TEST_F(OutlierSet, BadInputsSayWhatIsWrong) {
  const std::string images = (dir_ / "images").string();
  EXPECT_NE(error_of({(dir_ / "none.json").string(), images}).find("none.json: file not found"),
            std::string::npos);
  std::string json = write(R"([{"id": 7, "name": "dog"}])", 1);
  EXPECT_NE(error_of({json, images})
                .find("category 'dog' is not one of the ID classes (circle, "
                      "square)"),
            std::string::npos);
  json = write(R"([{"id": 7, "name": "square"}])", 0);
  EXPECT_NE(error_of({json, images}).find("no object has \"ood\": 1"), std::string::npos);
  json = write(R"([{"id": 7, "name": "square"}])", 1, "missing.png");
  EXPECT_NE(error_of({json, images}).find("missing.png' not found"), std::string::npos);
  EXPECT_NE(error_of({json, images + "/nope"}).find("image folder"), std::string::npos);
  std::ofstream(json) << "{ not json";
  EXPECT_NE(error_of({json, images}).find("outliers.json"), std::string::npos);
}

}  // namespace
