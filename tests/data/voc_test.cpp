// PASCAL VOC tests: XML parsing per the box.h convention, split reading ("07+12 trainval"),
// writer round trip, and bad XML (malformed, missing bndbox, non-numeric, inverted, unknown class).
#include <gtest/gtest.h>

#include <filesystem>

#include "data/voc.h"
#include "test_util.h"

namespace data {
namespace {

std::string object_xml(const std::string& name,
                       const std::string& xmin,
                       const std::string& ymin,
                       const std::string& xmax,
                       const std::string& ymax,
                       int difficult = 0,
                       int truncated = 0) {
  return "<object><name>" + name + "</name><pose>Left</pose><truncated>" +
         std::to_string(truncated) + "</truncated><difficult>" + std::to_string(difficult) +
         "</difficult><bndbox><xmin>" + xmin + "</xmin><ymin>" + ymin + "</ymin><xmax>" + xmax +
         "</xmax><ymax>" + ymax + "</ymax></bndbox></object>";
}

std::string annotation_xml(const std::string& objects, int w = 500, int h = 375) {
  return "<annotation><folder>VOC2007</folder><filename>000005.jpg</filename><size><width>" +
         std::to_string(w) + "</width><height>" + std::to_string(h) +
         "</height><depth>3</depth></size><segmented>0</segmented>" + objects + "</annotation>";
}

Diagnostics quiet() {
  Diagnostics d;
  d.echo = false;
  return d;
}

TEST(Voc, ClassesInStandardOrder) {
  const auto& c = voc_classes();
  ASSERT_EQ(c.size(), 20u);
  EXPECT_EQ(c.front(), "aeroplane");
  EXPECT_EQ(c[4], "bottle");
  EXPECT_EQ(c[10], "diningtable");
  EXPECT_EQ(c[14], "person");
  EXPECT_EQ(c.back(), "tvmonitor");
}

TEST(Voc, ParsesObjectsWithRawCoordinates) {
  auto diag = quiet();
  auto a = parse_voc_xml(annotation_xml(object_xml("chair", "263", "211", "324", "339", 0, 1) +
                                            object_xml("person", "8", "12", "352", "498", 1, 0),
                                        500, 500),
                         "000005.xml", voc_classes(), diag);
  EXPECT_EQ(a.filename, "000005.jpg");
  EXPECT_EQ(a.width, 500);
  EXPECT_EQ(a.height, 500);
  ASSERT_EQ(a.objects.size(), 2u);
  EXPECT_EQ(a.objects[0].label, 8);  // chair
  EXPECT_EQ(a.objects[0].box, (Box{263, 211, 324, 339}));
  EXPECT_DOUBLE_EQ(a.objects[0].box.width(), 61);  // xmax - xmin, as the literature's COCO JSON
  EXPECT_TRUE(a.objects[0].truncated);
  EXPECT_FALSE(a.objects[0].difficult);
  EXPECT_EQ(a.objects[1].label, 14);  // person
  EXPECT_TRUE(a.objects[1].difficult);
  EXPECT_EQ(diag.clipped_boxes, 0);
  EXPECT_EQ(diag.dropped_boxes, 0);
}

TEST(Voc, FractionalCoordinatesAndWhitespaceAreAccepted) {
  auto diag = quiet();
  auto a = parse_voc_xml(annotation_xml(object_xml(" dog\n", " 10.5 ", "20", "30.25", "40")),
                         "x.xml", voc_classes(), diag);
  ASSERT_EQ(a.objects.size(), 1u);
  EXPECT_EQ(a.objects[0].box, (Box{10.5, 20, 30.25, 40}));
}

TEST(Voc, BoxesOutsideAreClippedCountedWarned) {
  auto diag = quiet();
  auto a = parse_voc_xml(annotation_xml(object_xml("cat", "-5", "10", "520", "50"), 500, 375),
                         "c.xml", voc_classes(), diag);
  ASSERT_EQ(a.objects.size(), 1u);
  EXPECT_EQ(a.objects[0].box, (Box{0, 10, 500, 50}));
  EXPECT_EQ(diag.clipped_boxes, 1);
  ASSERT_EQ(diag.warnings.size(), 1u);
  EXPECT_NE(diag.warnings[0].find("c.xml"), std::string::npos);
  EXPECT_NE(diag.warnings[0].find("clipped"), std::string::npos);
}

TEST(Voc, DegenerateBoxesAreDroppedCountedWarned) {
  auto diag = quiet();
  auto a =
      parse_voc_xml(annotation_xml(object_xml("cat", "10", "10", "10", "50") +    // zero width
                                   object_xml("dog", "600", "10", "700", "50") +  // fully outside
                                   object_xml("cow", "1", "1", "5", "5")),
                    "d.xml", voc_classes(), diag);
  ASSERT_EQ(a.objects.size(), 1u);
  EXPECT_EQ(a.objects[0].label, 9);  // cow
  EXPECT_EQ(diag.dropped_boxes, 2);
  EXPECT_EQ(diag.clipped_boxes, 1);
  EXPECT_EQ(diag.warnings.size(), 3u);
}

TEST(VocBadInput, MalformedXml) {
  auto diag = quiet();
  EXPECT_DATA_ERROR(
      parse_voc_xml("<annotation><size><width>5</width>", "m.xml", voc_classes(), diag), "m.xml",
      "malformed XML");
  EXPECT_DATA_ERROR(parse_voc_xml("", "e.xml", voc_classes(), diag), "e.xml", "");
  EXPECT_DATA_ERROR(parse_voc_xml("<other/>", "o.xml", voc_classes(), diag), "o.xml",
                    "no <annotation>");
}

TEST(VocBadInput, MissingBndbox) {
  auto diag = quiet();
  std::string xml = annotation_xml("<object><name>dog</name><difficult>0</difficult></object>");
  EXPECT_DATA_ERROR(parse_voc_xml(xml, "b.xml", voc_classes(), diag), "b.xml",
                    "object 0 ('dog') has no <bndbox>");
}

TEST(VocBadInput, MissingCoordinate) {
  auto diag = quiet();
  std::string xml = annotation_xml(
      "<object><name>dog</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax></bndbox></"
      "object>");
  EXPECT_DATA_ERROR(parse_voc_xml(xml, "b.xml", voc_classes(), diag), "b.xml", "has no <ymax>");
}

TEST(VocBadInput, NonNumericCoordinates) {
  auto diag = quiet();
  for (std::string bad : {"abc", "12px", "", "nan", "inf", "1e999", "0x10"}) {
    std::string xml = annotation_xml(object_xml("bird", "1", bad, "30", "40"));
    EXPECT_DATA_ERROR(parse_voc_xml(xml, "n.xml", voc_classes(), diag), "n.xml",
                      "<ymin> is '" + bad + "', not a number");
  }
}

TEST(VocBadInput, InvertedCoordinates) {
  auto diag = quiet();
  EXPECT_DATA_ERROR(parse_voc_xml(annotation_xml(object_xml("bird", "50", "1", "30", "40")),
                                  "i.xml", voc_classes(), diag),
                    "i.xml", "inverted box");
  EXPECT_DATA_ERROR(parse_voc_xml(annotation_xml(object_xml("bird", "1", "50", "30", "40")),
                                  "i.xml", voc_classes(), diag),
                    "i.xml", "inverted box");
}

TEST(VocBadInput, UnknownClass) {
  auto diag = quiet();
  EXPECT_DATA_ERROR(parse_voc_xml(annotation_xml(object_xml("unicorn", "1", "1", "30", "40")),
                                  "u.xml", voc_classes(), diag),
                    "u.xml", "unknown class 'unicorn'");
  // COCO-style names are not VOC names.
  EXPECT_DATA_ERROR(parse_voc_xml(annotation_xml(object_xml("airplane", "1", "1", "30", "40")),
                                  "u.xml", voc_classes(), diag),
                    "u.xml", "unknown class 'airplane'");
}

TEST(VocBadInput, MissingOrBadSize) {
  auto diag = quiet();
  EXPECT_DATA_ERROR(parse_voc_xml("<annotation><filename>a.jpg</filename></annotation>", "s.xml",
                                  voc_classes(), diag),
                    "s.xml", "no <size>");
  EXPECT_DATA_ERROR(parse_voc_xml(annotation_xml("", 0, 375), "z.xml", voc_classes(), diag),
                    "z.xml", "must be a positive integer");
}

TEST(VocBadInput, BadDifficultFlag) {
  auto diag = quiet();
  std::string xml = annotation_xml(
      "<object><name>dog</name><difficult>yes</difficult><bndbox><xmin>1</xmin><ymin>1</ymin>"
      "<xmax>9</xmax><ymax>9</ymax></bndbox></object>");
  EXPECT_DATA_ERROR(parse_voc_xml(xml, "f.xml", voc_classes(), diag), "f.xml", "expected 0 or 1");
}

TEST(Voc, WriterRoundTrip) {
  VocAnnotation a;
  a.filename = "x.jpg";
  a.width = 200;
  a.height = 100;
  Object o;
  o.label = 3;
  o.box = {1, 2, 150.5, 99};
  o.difficult = true;
  a.objects.push_back(o);
  std::string xml = write_voc_xml(a, voc_classes(), "VOC2007");
  EXPECT_NE(xml.find("<name>boat</name>"), std::string::npos);
  EXPECT_NE(xml.find("<xmin>1</xmin>"), std::string::npos);  // integers without ".0", as VOC
  auto diag = quiet();
  auto b = parse_voc_xml(xml, "rt.xml", voc_classes(), diag);
  EXPECT_EQ(b.filename, "x.jpg");
  EXPECT_EQ(b.width, 200);
  ASSERT_EQ(b.objects.size(), 1u);
  EXPECT_EQ(b.objects[0].box, o.box);
  EXPECT_EQ(b.objects[0].label, 3);
  EXPECT_TRUE(b.objects[0].difficult);
}

TEST(VocSplit, ParsesSpecs) {
  auto s = parse_voc_split("07+12 trainval");
  EXPECT_EQ(s.years, (std::vector<std::string>{"2007", "2012"}));
  EXPECT_EQ(s.image_set, "trainval");
  EXPECT_EQ(parse_voc_split("2007 test").years, (std::vector<std::string>{"2007"}));
  EXPECT_THROW(parse_voc_split("08 test"), std::invalid_argument);
  EXPECT_THROW(parse_voc_split("07+07 test"), std::invalid_argument);
  EXPECT_THROW(parse_voc_split("trainval"), std::invalid_argument);
  EXPECT_THROW(parse_voc_split("07 test extra"), std::invalid_argument);
}

// A tiny devkit: VOC2007 with two images, VOC2012 with one.
class VocDevkit : public ::testing::Test {
 protected:
  void SetUp() override {
    dir.write("VOC2007/ImageSets/Main/trainval.txt", "000005\n000007\r\n\n");
    dir.write("VOC2007/ImageSets/Main/test.txt", "000001\n");
    dir.write("VOC2012/ImageSets/Main/trainval.txt", "2008_000002\n");
    dir.write("VOC2007/Annotations/000005.xml",
              annotation_xml(object_xml("chair", "263", "211", "324", "339")));
    dir.write("VOC2007/Annotations/000007.xml",
              annotation_xml(object_xml("car", "141", "50", "500", "330") +
                             object_xml("tvmonitor", "1", "2", "3", "4", 1)));
    dir.write("VOC2007/Annotations/000001.xml",
              annotation_xml(object_xml("dog", "48", "240", "195", "371")));
    dir.write("VOC2012/Annotations/2008_000002.xml",
              annotation_xml(object_xml("sofa", "34", "11", "448", "293")));
  }
  test::TempDir dir;
};

TEST_F(VocDevkit, ReadsJointSplitInOrder) {
  auto diag = quiet();
  Dataset ds = read_voc(dir.path().string(), "07+12 trainval", diag);
  ASSERT_EQ(ds.images.size(), 3u);
  EXPECT_EQ(ds.categories.size(), 20u);
  EXPECT_EQ(ds.categories[0].id, 1);
  EXPECT_EQ(ds.images[0].id, "000005");
  EXPECT_EQ(ds.images[1].id, "000007");
  EXPECT_EQ(ds.images[2].id, "2008_000002");
  EXPECT_FALSE(ds.images[0].numeric_id);
  EXPECT_EQ(ds.images[2].file_name, "VOC2012/JPEGImages/2008_000002.jpg");
  EXPECT_EQ(ds.image_path(ds.images[0]), (dir.path() / "VOC2007/JPEGImages/000005.jpg").string());
  ASSERT_EQ(ds.images[1].objects.size(), 2u);
  EXPECT_EQ(ds.images[1].objects[1].label, 19);
  EXPECT_TRUE(ds.images[1].objects[1].difficult);  // difficult objects are kept
  EXPECT_EQ(ds.num_objects(), 4u);
  Dataset test = read_voc(dir.path().string(), "07 test", diag);
  ASSERT_EQ(test.images.size(), 1u);
  EXPECT_EQ(test.images[0].objects[0].box, (Box{48, 240, 195, 371}));
}

TEST_F(VocDevkit, MissingSplitFileNamesThePath) {
  auto diag = quiet();
  EXPECT_DATA_ERROR(read_voc(dir.path().string(), "12 test", diag),
                    "VOC2012/ImageSets/Main/test.txt", "split file not found");
  EXPECT_DATA_ERROR(read_voc((dir.path() / "nope").string(), "07 test", diag), "nope",
                    "VOCdevkit folder not found");
}

TEST_F(VocDevkit, MissingAnnotationNamesThePath) {
  auto diag = quiet();
  dir.write("VOC2007/ImageSets/Main/val.txt", "000005\n009999\n");
  EXPECT_DATA_ERROR(read_voc(dir.path().string(), "07 val", diag), "Annotations/009999.xml",
                    "file not found");
}

TEST_F(VocDevkit, DuplicateIdsAreRejected) {
  auto diag = quiet();
  dir.write("VOC2007/ImageSets/Main/val.txt", "000005\n000005\n");
  EXPECT_DATA_ERROR(read_voc(dir.path().string(), "07 val", diag), "val.txt",
                    "line 2: duplicate image id '000005'");
}

TEST_F(VocDevkit, PathTraversalIdsAreRejected) {
  auto diag = quiet();
  dir.write("VOC2007/ImageSets/Main/val.txt", "../../etc/passwd\n");
  EXPECT_DATA_ERROR(read_voc(dir.path().string(), "07 val", diag), "val.txt", "bad image id");
}

}  // namespace
}  // namespace data
