// Dataset loading: folder tree and CSV, sorted classes, and the errors users hit.
#include "learn/dataset.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace vigil {
namespace {
namespace fs = std::filesystem;

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil_dataset_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Touch(const fs::path& p) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "x";
  }
  fs::path dir_;
};

TEST_F(DatasetTest, FolderPerClassSortedWithLabels) {
  Touch(dir_ / "zebra" / "b.jpg");
  Touch(dir_ / "zebra" / "a.png");
  Touch(dir_ / "apple" / "c.JPG");
  Touch(dir_ / "apple" / "notes.txt");  // skipped: not an image
  Touch(dir_ / ".hidden" / "d.jpg");    // skipped: hidden
  auto d = LoadFolderDataset(dir_.string());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->classes, (std::vector<std::string>{"apple", "zebra"}));
  ASSERT_EQ(d->items.size(), 3u);
  EXPECT_EQ(fs::path(d->items[0].path).filename(), "c.JPG");
  EXPECT_EQ(d->items[0].label, 0);
  EXPECT_EQ(fs::path(d->items[1].path).filename(), "a.png");
  EXPECT_EQ(d->items[1].label, 1);
  EXPECT_EQ(d->ClassCounts(), (std::vector<int>{1, 2}));
}

TEST_F(DatasetTest, EmptyClassFolderIsAnError) {
  Touch(dir_ / "a" / "x.jpg");
  Touch(dir_ / "b" / "y.jpg");
  fs::create_directories(dir_ / "empty");
  auto d = LoadFolderDataset(dir_.string());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("empty"), std::string::npos);
}

TEST_F(DatasetTest, SingleClassAndMissingFolderAreErrors) {
  Touch(dir_ / "a" / "x.jpg");
  EXPECT_EQ(LoadFolderDataset(dir_.string()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadFolderDataset((dir_ / "nope").string()).status().code(), StatusCode::kNotFound);
}

TEST_F(DatasetTest, UnreadableFileIsAnError) {
  Touch(dir_ / "a" / "x.jpg");
  fs::create_directories(dir_ / "b");
  std::ofstream(dir_ / "b" / "empty.jpg").flush();  // zero bytes: nothing to read
  auto d = LoadFolderDataset(dir_.string());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kDataLoss);
}

TEST_F(DatasetTest, CsvWithHeaderRelativePathsAndRemap) {
  Touch(dir_ / "img" / "1.jpg");
  Touch(dir_ / "img" / "2.jpg");
  Touch(dir_ / "img" / "3.jpg");
  std::ofstream(dir_ / "list.csv") << "path,label\nimg/1.jpg,dog\n# comment\nimg/2.jpg,cat\n" << (dir_ / "img" / "3.jpg").string() << ",dog\n";
  auto d = LoadDataset((dir_ / "list.csv").string());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->classes, (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(d->items.size(), 3u);
  EXPECT_EQ(d->items[0].path, (dir_ / "img" / "2.jpg").string());
  auto r = RemapClasses(*d, {"bird", "cat", "dog"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->items[0].label, 1);
  EXPECT_EQ(r->items[2].label, 2);
  EXPECT_FALSE(RemapClasses(*d, {"cat"}).ok());
}

TEST_F(DatasetTest, CsvErrors) {
  std::ofstream(dir_ / "bad.csv") << "no-comma-here\n";
  EXPECT_EQ(LoadCsvDataset((dir_ / "bad.csv").string()).status().code(), StatusCode::kInvalidArgument);
  std::ofstream(dir_ / "missing.csv") << "gone.jpg,a\ngone2.jpg,b\n";
  EXPECT_EQ(LoadCsvDataset((dir_ / "missing.csv").string()).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace vigil
