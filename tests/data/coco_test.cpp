// COCO JSON tests: reading (int and string ids, ood flags), writing in the literature's layout,
// VOC->COCO conversion, detection results with ood_score, and bad JSON of every listed kind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "data/coco.h"
#include "data/detections.h"
#include "data/file_io.h"
#include "data/image.h"
#include "data/voc.h"
#include "data/voc_to_coco.h"
#include "test_util.h"

namespace data {
namespace {

using json = nlohmann::json;

Diagnostics quiet() {
  Diagnostics d;
  d.echo = false;
  return d;
}

json sample_json() {
  return json::parse(R"({
    "images": [{"id": 397133, "file_name": "000000397133.jpg", "width": 640, "height": 427},
               {"id": "2008_000002", "file_name": "b.jpg", "width": 500, "height": 375}],
    "annotations": [
      {"id": 1, "image_id": 397133, "category_id": 18, "bbox": [10.5, 20, 100, 50], "area": 3000.25, "iscrowd": 0},
      {"id": 7, "image_id": "2008_000002", "category_id": 1, "bbox": [0, 0, 30, 40], "iscrowd": 1, "ood": 1}],
    "categories": [{"id": 1, "name": "person", "supercategory": "person"}, {"id": 18, "name": "dog"}]
  })");
}

Dataset parse(const json& j, Diagnostics& diag) {
  return parse_coco(j.dump(), "in.json", "/imgs", diag);
}

TEST(Coco, ReadsIntAndStringIdsAndOodFlags) {
  auto diag = quiet();
  Dataset ds = parse(sample_json(), diag);
  ASSERT_EQ(ds.images.size(), 2u);
  EXPECT_EQ(ds.images[0].id, "397133");
  EXPECT_TRUE(ds.images[0].numeric_id);
  EXPECT_EQ(ds.images[1].id, "2008_000002");
  EXPECT_FALSE(ds.images[1].numeric_id);
  EXPECT_EQ(ds.image_path(ds.images[0]), "/imgs/000000397133.jpg");
  ASSERT_EQ(ds.categories.size(), 2u);
  EXPECT_EQ(ds.categories[1].id, 18);
  ASSERT_EQ(ds.images[0].objects.size(), 1u);
  const Object& dog = ds.images[0].objects[0];
  EXPECT_EQ(dog.label, 1);  // index into categories, in file order
  EXPECT_EQ(dog.box, (Box{10.5, 20, 110.5, 70}));
  EXPECT_DOUBLE_EQ(dog.area, 3000.25);
  EXPECT_FALSE(dog.ood);
  const Object& p = ds.images[1].objects[0];
  EXPECT_TRUE(p.ood);
  EXPECT_TRUE(p.iscrowd);
  EXPECT_EQ(p.id, 7);
  EXPECT_TRUE(ds.has_ood_field);
}

TEST(Coco, WriteReadRoundTripKeepsIdTypesAndFlags) {
  auto diag = quiet();
  Dataset ds = parse(sample_json(), diag);
  json out = json::parse(to_coco_json(ds).dump());
  EXPECT_TRUE(out["images"][0]["id"].is_number_integer());
  EXPECT_TRUE(out["images"][1]["id"].is_string());
  EXPECT_TRUE(out["annotations"][1]["image_id"].is_string());
  EXPECT_EQ(out["annotations"][0]["ood"], 0);
  EXPECT_EQ(out["annotations"][1]["ood"], 1);
  EXPECT_EQ(out["annotations"][1]["id"], 7);
  EXPECT_EQ(out["annotations"][0]["area"], 3000.25);
  EXPECT_EQ(out["annotations"][1]["area"], 1200.0);  // w * h when the source had none
  Dataset back = parse(out, diag);
  ASSERT_EQ(back.images.size(), 2u);
  EXPECT_EQ(back.images[1].objects[0].box, ds.images[1].objects[0].box);
  EXPECT_EQ(back.images[1].objects[0].ood, true);
  EXPECT_EQ(back.categories[1].name, "dog");
}

TEST(Coco, AnnotationsAreOptionalForImageOnlySets) {
  auto diag = quiet();
  json j = sample_json();
  j.erase("annotations");
  Dataset ds = parse(j, diag);
  EXPECT_EQ(ds.images.size(), 2u);
  EXPECT_EQ(ds.num_objects(), 0u);
}

TEST(Coco, ClipsAndDropsWithCounts) {
  auto diag = quiet();
  json j = sample_json();
  j["annotations"][0]["bbox"] = {600, 400, 100, 100};  // 640x427 image: clipped to 40x27
  j["annotations"][1]["bbox"] = {10, 10, 0, 5};        // zero width: dropped
  Dataset ds = parse(j, diag);
  EXPECT_EQ(diag.clipped_boxes, 1);
  EXPECT_EQ(diag.dropped_boxes, 1);
  ASSERT_EQ(ds.images[0].objects.size(), 1u);
  EXPECT_EQ(ds.images[0].objects[0].box, (Box{600, 400, 640, 427}));
  EXPECT_LT(ds.images[0].objects[0].area, 0);  // recomputed from the clipped box when written
  EXPECT_EQ(ds.images[1].objects.size(), 0u);
  EXPECT_EQ(diag.warnings.size(), 2u);
  EXPECT_NE(diag.warnings[0].find("in.json: annotations[0]"), std::string::npos);
}

struct BadCase {
  const char* what;
  std::function<void(json&)> edit;
  const char* problem;
};

TEST(CocoBadInput, EveryProblemIsNamed) {
  std::vector<BadCase> cases = {
      {"no images", [](json& j) { j.erase("images"); }, "top level: missing 'images'"},
      {"no categories", [](json& j) { j.erase("categories"); }, "top level: missing 'categories'"},
      {"images not array", [](json& j) { j["images"] = 5; }, "images: must be an array"},
      {"image without id", [](json& j) { j["images"][0].erase("id"); }, "images[0]: missing 'id'"},
      {"image without file", [](json& j) { j["images"][1].erase("file_name"); },
       "images[1]: missing 'file_name'"},
      {"image without width", [](json& j) { j["images"][0].erase("width"); },
       "images[0]: missing 'width'"},
      {"float id", [](json& j) { j["images"][0]["id"] = 1.5; },
       "'id' must be an integer or a string"},
      {"string width", [](json& j) { j["images"][0]["width"] = "640"; },
       "'width' must be an integer"},
      {"zero size", [](json& j) { j["images"][0]["height"] = 0; }, "is not positive"},
      {"duplicate image id", [](json& j) { j["images"][1]["id"] = 397133; },
       "images[1]: duplicate image id 397133"},
      {"duplicate string image id", [](json& j) { j["images"][0]["id"] = "2008_000002"; },
       "images[1]: duplicate image id '2008_000002'"},
      {"duplicate annotation id", [](json& j) { j["annotations"][1]["id"] = 1; },
       "annotations[1]: duplicate annotation id 1"},
      {"duplicate category id", [](json& j) { j["categories"][1]["id"] = 1; },
       "categories[1]: duplicate category id 1"},
      {"unknown image", [](json& j) { j["annotations"][0]["image_id"] = 42; },
       "annotations[0]: image_id 42 is not in 'images'"},
      {"id type mismatch", [](json& j) { j["annotations"][0]["image_id"] = "397133"; },
       "image_id '397133' is not in 'images'"},
      {"unknown category", [](json& j) { j["annotations"][1]["category_id"] = 99; },
       "category_id 99 is not in 'categories'"},
      {"annotation without bbox", [](json& j) { j["annotations"][0].erase("bbox"); },
       "annotations[0]: missing 'bbox'"},
      {"annotation without category", [](json& j) { j["annotations"][0].erase("category_id"); },
       "missing 'category_id'"},
      {"annotation without id", [](json& j) { j["annotations"][0].erase("id"); },
       "annotations[0]: missing 'id'"},
      {"short bbox",
       [](json& j) {
         j["annotations"][0]["bbox"] = {1, 2, 3};
       },
       "'bbox' must be 4 numbers"},
      {"string in bbox", [](json& j) { j["annotations"][0]["bbox"][2] = "wide"; },
       "'bbox' must be a number"},
      {"negative width", [](json& j) { j["annotations"][0]["bbox"][2] = -3; },
       "negative width or height"},
      {"bad ood", [](json& j) { j["annotations"][0]["ood"] = 2; }, "'ood' must be 0 or 1"},
      {"bad iscrowd", [](json& j) { j["annotations"][0]["iscrowd"] = "no"; },
       "'iscrowd' must be 0 or 1"},
      {"category without name", [](json& j) { j["categories"][0].erase("name"); },
       "categories[0]: missing 'name'"},
      {"annotation not object", [](json& j) { j["annotations"][0] = 3; },
       "annotations[0]: must be an object"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    json j = sample_json();
    c.edit(j);
    auto diag = quiet();
    EXPECT_DATA_ERROR(parse(j, diag), "in.json", c.problem);
  }
}

TEST(CocoBadInput, MalformedAndTruncatedJson) {
  auto diag = quiet();
  std::string text = sample_json().dump();
  EXPECT_DATA_ERROR(parse_coco(text.substr(0, text.size() / 2), "t.json", "", diag), "t.json",
                    "malformed JSON");
  EXPECT_DATA_ERROR(parse_coco("", "e.json", "", diag), "e.json", "malformed JSON");
  EXPECT_DATA_ERROR(parse_coco("[1, 2]", "a.json", "", diag), "a.json", "must be a JSON object");
  EXPECT_DATA_ERROR(parse_coco(std::string(100000, '['), "deep.json", "", diag), "deep.json",
                    "malformed JSON");
  EXPECT_DATA_ERROR(read_coco("/no/such/file.json", "", diag), "/no/such/file.json",
                    "file not found");
}

TEST(Coco, WriterRenumbersMissingAnnotationIds) {
  Dataset ds;
  ds.categories = {{5, "a", ""}};
  ImageRecord r{"img", false, "img.png", 10, 10, {}};
  Object o;
  o.label = 0;
  o.box = {1, 1, 3, 4};
  r.objects = {o, o};
  ds.images.push_back(r);
  json out = json::parse(to_coco_json(ds).dump());
  EXPECT_EQ(out["annotations"][0]["id"], 0);
  EXPECT_EQ(out["annotations"][1]["id"], 1);
  EXPECT_EQ(out["annotations"][1]["category_id"], 5);
  EXPECT_FALSE(out["annotations"][0].contains("ood"));  // no ood flags anywhere
  ds.images[0].objects[1].label = 3;
  EXPECT_THROW(to_coco_json(ds), std::invalid_argument);
}

TEST(VocToCoco, CocoNamesAndCategoryOrder) {
  EXPECT_EQ(coco_name_for_voc("aeroplane"), "airplane");
  EXPECT_EQ(coco_name_for_voc("diningtable"), "dining table");
  EXPECT_EQ(coco_name_for_voc("motorbike"), "motorcycle");
  EXPECT_EQ(coco_name_for_voc("pottedplant"), "potted plant");
  EXPECT_EQ(coco_name_for_voc("sofa"), "couch");
  EXPECT_EQ(coco_name_for_voc("tvmonitor"), "tv");
  EXPECT_EQ(coco_name_for_voc("dog"), "dog");
  const auto& cats = voc_coco_categories();
  ASSERT_EQ(cats.size(), 20u);
  EXPECT_EQ(cats[0].name, "person");
  EXPECT_EQ(cats[7].name, "airplane");
  EXPECT_EQ(cats[19].name, "tv");
  EXPECT_EQ(cats[19].id, 20);
  EXPECT_EQ(cats[16].supercategory, "indoor");
  // Every VOC class maps to exactly one literature category.
  for (const auto& v : voc_classes()) {
    int hits = 0;
    for (const auto& c : cats) hits += c.name == coco_name_for_voc(v);
    EXPECT_EQ(hits, 1) << v;
  }
}

TEST(VocToCoco, MatchesTheLiteratureJson) {
  test::TempDir dir;
  auto obj = [](const char* n, int x1, int y1, int x2, int y2, int difficult) {
    return "<object><name>" + std::string(n) + "</name><difficult>" + std::to_string(difficult) +
           "</difficult><bndbox><xmin>" + std::to_string(x1) + "</xmin><ymin>" +
           std::to_string(y1) + "</ymin><xmax>" + std::to_string(x2) + "</xmax><ymax>" +
           std::to_string(y2) + "</ymax></bndbox></object>";
  };
  auto ann = [](int w, int h, const std::string& objects) {
    return "<annotation><size><width>" + std::to_string(w) + "</width><height>" +
           std::to_string(h) + "</height></size>" + objects + "</annotation>";
  };
  dir.write("VOC2007/ImageSets/Main/trainval.txt", "000005\n");
  dir.write("VOC2012/ImageSets/Main/trainval.txt", "2008_000002\n");
  dir.write("VOC2007/Annotations/000005.xml",
            ann(8, 6, obj("diningtable", 1, 2, 5, 6, 1) + obj("aeroplane", 2, 2, 3, 3, 0)));
  dir.write("VOC2012/Annotations/2008_000002.xml", ann(9, 7, obj("tvmonitor", 3, 1, 9, 7, 0)));
  save_image(Image(8, 6), dir.file("VOC2007/JPEGImages/000005.jpg"));
  save_image(Image(9, 5), dir.file("VOC2012/JPEGImages/2008_000002.jpg"));  // disagrees with XML

  auto diag = quiet();
  Dataset voc = read_voc(dir.path().string(), "07+12 trainval", diag);
  Dataset coco = voc_to_coco(voc, VocToCocoOptions{}, diag);
  EXPECT_EQ(diag.warnings.size(), 1u);  // the size disagreement
  json got = json::parse(to_coco_json(coco).dump());
  // The literature's file for these annotations, written out by hand.
  json want = json::parse(R"({
    "info": {"year": 2020}, "licenses": [{"id": 1, "name": "none", "url": "none"}],
    "categories": [)" + [] {
    std::string s;
    for (const auto& c : voc_coco_categories())
      s += (s.empty() ? "" : ",") + std::string("{\"id\":") + std::to_string(c.id) +
           ",\"name\":\"" + c.name + "\",\"supercategory\":\"" + c.supercategory + "\"}";
    return s;
  }() + R"(],
    "images": [{"id": "000005", "width": 8, "height": 6, "file_name": "000005.jpg", "license": 1},
               {"id": "2008_000002", "width": 9, "height": 5, "file_name": "2008_000002.jpg", "license": 1}],
    "annotations": [
      {"image_id": "000005", "id": 0, "category_id": 17, "bbox": [1.0, 2.0, 4.0, 4.0], "area": 16.0, "iscrowd": 0},
      {"image_id": "000005", "id": 1, "category_id": 8, "bbox": [2.0, 2.0, 1.0, 1.0], "area": 1.0, "iscrowd": 0},
      {"image_id": "2008_000002", "id": 2, "category_id": 20, "bbox": [3.0, 1.0, 6.0, 6.0], "area": 36.0, "iscrowd": 0}]
  })");
  EXPECT_EQ(got, want) << got.dump(1);
  // Key order is the literature's too (ordered_json keeps insertion order).
  std::string text = to_coco_json(coco).dump();
  EXPECT_LT(text.find("\"info\""), text.find("\"licenses\""));
  EXPECT_LT(text.find("\"categories\""), text.find("\"images\""));
  EXPECT_NE(text.find("{\"image_id\":\"000005\",\"id\":0,\"category_id\":17,\"bbox\":[1.0,2.0,4.0,"
                      "4.0],\"area\":16.0,"
                      "\"iscrowd\":0}"),
            std::string::npos);
}

TEST(Detections, WriteAndReadBackWithOodScore) {
  auto diag = quiet();
  Dataset ds = parse(sample_json(), diag);
  std::vector<Detection> dets = {{0, {1, 2, 11, 22}, 1, 0.9, 0.125, -2.5},
                                 {1, {0, 0, 5, 5}, 0, 0.6, 0.75, 1.25}};
  test::TempDir dir;
  std::string path = dir.file("results.json");
  write_detections(path, ds, dets);
  json j = json::parse(read_text_file(path));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["image_id"], 397133);  // numeric like the ground truth
  EXPECT_EQ(j[1]["image_id"], "2008_000002");
  EXPECT_EQ(j[0]["bbox"], json({1.0, 2.0, 10.0, 20.0}));
  EXPECT_EQ(j[0]["category_id"], 18);
  EXPECT_EQ(j[0]["ood_score"], 0.125);
  std::string text = read_text_file(path);
  EXPECT_LT(text.find("image_id"), text.find("bbox"));
  EXPECT_LT(text.find("category_id"), text.find("ood_score"));
  auto back = read_detections(path, ds);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].image, 1u);
  EXPECT_EQ(back[0].label, 1);
  EXPECT_EQ(back[0].box, dets[0].box);
  EXPECT_DOUBLE_EQ(back[1].ood_score, 0.75);
  EXPECT_DOUBLE_EQ(back[0].energy, -2.5);
  EXPECT_EQ(j[1]["energy"], 1.25);
}

TEST(DetectionsBadInput, UnknownImageOrMissingField) {
  auto diag = quiet();
  Dataset ds = parse(sample_json(), diag);
  test::TempDir dir;
  std::string p = dir.write(
      "r.json",
      R"([{"image_id": 5, "bbox": [0,0,1,1], "score": 1, "category_id": 1, "ood_score": 0}])");
  EXPECT_DATA_ERROR(read_detections(p, ds), "r.json", "[0]: image_id 5 is not in the data set");
  p = dir.write("r.json",
                R"([{"image_id": 397133, "bbox": [0,0,1,1], "category_id": 1, "ood_score": 0}])");
  EXPECT_DATA_ERROR(read_detections(p, ds), "r.json", "[0]: missing 'score'");
  p = dir.write("r.json", R"({"x": 1})");
  EXPECT_DATA_ERROR(read_detections(p, ds), "r.json", "must be a JSON array");
  EXPECT_THROW(detections_to_json(ds, {{9, {}, 0, 0, 0}}), std::invalid_argument);
}

}  // namespace
}  // namespace data
