// PDQ against Meta's reference vectors (../shared/pdq): every reference image within 8 bits and
// quality within 5 with the default (DCT-scaled) decode, within 2 bits with a full decode; the
// dihedral hashes of dih/bridge-1-original.jpg; the bridge-mods edits within 31 of the original.
#include <algorithm>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "pdq_reference.h"
#include "vigil/hashing.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

PdqHash Hex(const std::string& s) {
  Result<PdqHash> h = PdqHash::FromHex(s);
  EXPECT_TRUE(h.ok()) << s;
  return h.ok() ? *h : PdqHash();
}

// Hashes every reference image with `options`; returns the distance histogram; checks the limits.
std::map<int, int> CheckAll(const PdqOptions& options, int max_bits, const char* label) {
  const fs::path dir = testing::PdqReferenceDir();
  const auto rows = testing::ReadPdqReference(dir / "reference.csv");
  EXPECT_GE(rows.size(), 30u);
  std::map<int, int> histogram;
  for (const auto& row : rows) {
    Result<PdqResult> r = HashFile((dir / "images" / row.file).string(), options);
    EXPECT_TRUE(r.ok()) << row.file << ": " << r.status().ToString();
    if (!r.ok()) continue;
    const int d = r->hash.Distance(Hex(row.hash));
    ++histogram[d];
    EXPECT_LE(d, max_bits) << label << " " << row.file << " " << r->hash.ToHex() << " vs " << row.hash;
    if (row.quality >= 0) EXPECT_NEAR(r->quality, row.quality, 5) << label << " " << row.file;
  }
  std::ostringstream text;
  for (const auto& [bits, count] : histogram) text << bits << " bits: " << count << "; ";
  std::cout << label << " distance to reference: " << text.str() << "\n";
  return histogram;
}

TEST(PdqReference, DefaultOptionsWithin8BitsAndQualityWithin5) {
  const fs::path dir = testing::PdqReferenceDir();
  VIGIL_REQUIRE_PDQ_REFERENCE(dir);
  const auto histogram = CheckAll(PdqOptions{}, 8, "default (DCT-scaled JPEG)");
  int within2 = 0, total = 0;
  for (const auto& [bits, count] : histogram) {
    total += count;
    if (bits <= 2) within2 += count;
  }
  EXPECT_GE(within2 * 4, total * 3) << "most hashes should be within 2 bits";
}

TEST(PdqReference, FullDecodeWithin2Bits) {
  const fs::path dir = testing::PdqReferenceDir();
  VIGIL_REQUIRE_PDQ_REFERENCE(dir);
  PdqOptions options;
  options.jpeg_min_side = 0;
  CheckAll(options, 2, "full decode");
}

TEST(PdqReference, FullResolutionMatchesTheJavaAndPythonPorts) {
  const fs::path dir = testing::PdqReferenceDir();
  VIGIL_REQUIRE_PDQ_REFERENCE(dir);
  PdqOptions options;
  options.jpeg_min_side = 0;
  options.resize = PdqResize::kFullResolution;
  Result<PdqResult> r = HashFile((dir / "images/bridge-mods/aaa-orig.jpg").string(), options);
  ASSERT_TRUE(r.ok());
  // The value the reference README quotes for its Java and Python ports.
  EXPECT_LE(r->hash.Distance(Hex("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")), 2);
}

TEST(PdqReference, DihedralHashesOfOneDecode) {
  const fs::path dir = testing::PdqReferenceDir();
  VIGIL_REQUIRE_PDQ_REFERENCE(dir);
  const auto expected = testing::ReadPdqReference(dir / "dihedral.txt");
  ASSERT_EQ(expected.size(), 8u);
  Result<PdqDihedralResult> r = HashFileDihedral((dir / "images/dih/bridge-1-original.jpg").string());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->quality, expected[0].quality, 5);
  for (int d = 0; d < kPdqDihedralCount; ++d) {
    EXPECT_LE(r->hashes[d].Distance(Hex(expected[d].hash)), 8)
        << PdqDihedralName(static_cast<PdqDihedral>(d)) << " " << r->hashes[d].ToHex();
  }
  // Each transformed file's own hash is close to the matching dihedral hash of the original.
  const char* files[] = {"bridge-1-original.jpg", "bridge-2-rotate-90.jpg", "bridge-3-rotate-180.jpg",
                         "bridge-4-rotate-270.jpg", "bridge-5-flipx.jpg", "bridge-6-flipy.jpg",
                         "bridge-7-flip-plus-1.jpg", "bridge-8-flip-minus-1.jpg"};
  for (int d = 0; d < kPdqDihedralCount; ++d) {
    Result<PdqResult> t = HashFile((dir / "images/dih" / files[d]).string());
    ASSERT_TRUE(t.ok());
    EXPECT_LE(t->hash.Distance(r->hashes[d]), 31) << files[d];
    if (d != 0) EXPECT_GT(t->hash.Distance(r->hashes[0]), 31) << files[d] << " should differ from the original";
  }
}

TEST(PdqReference, BridgeModsMatchTheOriginal) {
  const fs::path dir = testing::PdqReferenceDir();
  VIGIL_REQUIRE_PDQ_REFERENCE(dir);
  Result<PdqResult> original = HashFile((dir / "images/bridge-mods/aaa-orig.jpg").string());
  ASSERT_TRUE(original.ok());
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir / "images/bridge-mods")) {
    Result<PdqResult> r = HashFile(entry.path().string());
    ASSERT_TRUE(r.ok()) << entry.path();
    EXPECT_LE(r->hash.Distance(original->hash), kPdqMatchDistance) << entry.path().filename();
    EXPECT_GE(r->quality, kPdqQualityFloor) << entry.path().filename();
    ++files;
  }
  EXPECT_GE(files, 10);
  // ...and an unrelated photo does not.
  Result<PdqResult> other = HashFile((dir / "images/labelme-subset/q0122.jpg").string());
  ASSERT_TRUE(other.ok());
  EXPECT_GT(other->hash.Distance(original->hash), kPdqMatchDistance);
}

TEST(PdqReference, ExifOrientationIsADihedralTransform) {
  const fs::path dir = testing::PdqReferenceDir();
  VIGIL_REQUIRE_PDQ_REFERENCE(dir);
  // exif-rotn-6.jpg is stored sideways with orientation 6 (display = stored rotated 90 clockwise).
  const std::string file = (dir / "images/exif-rotn/exif-rotn-6.jpg").string();
  PdqOptions upright;
  upright.apply_exif_orientation = true;
  Result<PdqResult> displayed = HashFile(file, upright);
  Result<PdqDihedralResult> stored = HashFileDihedral(file);
  ASSERT_TRUE(displayed.ok() && stored.ok());
  EXPECT_GT(displayed->hash.Distance(stored->hashes[0]), kPdqMatchDistance);
  int best = 256;
  for (const PdqHash& h : stored->hashes) best = std::min(best, displayed->hash.Distance(h));
  EXPECT_LE(best, 16) << "the displayed orientation should be one of the dihedral hashes";
}

}  // namespace
}  // namespace vigil
