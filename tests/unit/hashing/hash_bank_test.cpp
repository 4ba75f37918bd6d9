// Hash banks: the file store (create, settings, add, remove, list, persistence across reopen, name
// and settings validation), CSV/hex import and export, and PdqMatcher's threshold, quality floor
// and dihedral matching on generated hashes.
#include <unistd.h>

#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "vigil/hash_bank.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

class HashBankTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vigil_bank_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto store = OpenFileBankStore(dir_.string());
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::unique_ptr<BankStore> store_;
};

PdqHash RandomHash(std::mt19937_64& rng) { return PdqHash({rng(), rng(), rng(), rng()}); }

PdqHash FlipBits(const PdqHash& h, int n) {
  std::array<uint64_t, 4> w = h.words();
  for (int k = 0; k < n; ++k) w[(k * 37 % 256) >> 6] ^= uint64_t{1} << ((k * 37 % 256) & 63);
  return PdqHash(w);
}

TEST_F(HashBankTest, CreateAddRemovePersist) {
  BankInfo info;
  info.name = "known";
  info.threshold = 20;
  ASSERT_TRUE(store_->CreateBank(info).ok());
  EXPECT_EQ(store_->CreateBank(info).code(), StatusCode::kFailedPrecondition);
  BankInfo bad;
  bad.name = "../etc";
  EXPECT_EQ(store_->CreateBank(bad).code(), StatusCode::kInvalidArgument);
  bad.name = "ok";
  bad.threshold = 65;
  EXPECT_EQ(store_->CreateBank(bad).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListEntries("missing").status().code(), StatusCode::kNotFound);

  std::mt19937_64 rng(1);
  BankEntry a, b;
  a.hash = RandomHash(rng);
  a.external_id = "x,1";  // a comma survives the file format
  a.category = "ncii";
  a.source = "list\nA";
  b.hash = RandomHash(rng);
  b.added_unix = 1700000000;
  auto ids = store_->AddEntries("known", {a, b});
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_NE((*ids)[0], (*ids)[1]);
  EXPECT_EQ(*store_->RemoveEntries("known", {(*ids)[1], 999}), 1u);

  // Reopen: everything comes back from disk.
  auto reopened = OpenFileBankStore(dir_.string());
  ASSERT_TRUE(reopened.ok());
  auto banks = (*reopened)->ListBanks();
  ASSERT_TRUE(banks.ok());
  ASSERT_EQ(banks->size(), 1u);
  EXPECT_EQ((*banks)[0].threshold, 20);
  EXPECT_EQ((*banks)[0].entries, 1u);
  EXPECT_GT((*banks)[0].created_unix, 0);
  auto entries = (*reopened)->ListEntries("known");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].hash, a.hash);
  EXPECT_EQ((*entries)[0].external_id, "x,1");
  EXPECT_EQ((*entries)[0].source, "list\nA");
  EXPECT_GT((*entries)[0].added_unix, 0);
  // New ids never reuse removed ones.
  auto more = (*reopened)->AddEntries("known", {b});
  ASSERT_TRUE(more.ok());
  EXPECT_GT((*more)[0], (*ids)[1]);
  EXPECT_TRUE(store_->DeleteBank("known").ok());
  EXPECT_EQ(store_->GetBank("known").status().code(), StatusCode::kNotFound);
}

TEST_F(HashBankTest, ImportExportFormats) {
  BankInfo info;
  info.name = "list";
  ASSERT_TRUE(store_->CreateBank(info).ok());
  const std::string h1 = std::string(63, '0') + "1", h2 = std::string(64, 'f');
  const std::string csv = "hash,id,category\n# comment\n" + h1 + ",id-1,terror\n" + h2 + ",\"id-2\",other,hotline\n";
  auto ids = ImportBankEntries(*store_, "list", csv, BankFormat::kCsv, "file.csv");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(ids->size(), 2u);
  auto entries = *store_->ListEntries("list");
  EXPECT_EQ(entries[0].external_id, "id-1");
  EXPECT_EQ(entries[0].category, "terror");
  EXPECT_EQ(entries[0].source, "file.csv");
  EXPECT_EQ(entries[1].external_id, "id-2");
  EXPECT_EQ(entries[1].source, "hotline");
  // A bad line refuses the whole import.
  auto bad = ImportBankEntries(*store_, "list", h1 + "\nnot-a-hash\n", BankFormat::kHexLines, "x");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListEntries("list")->size(), 2u);
  EXPECT_EQ(*ExportBankEntries(*store_, "list", BankFormat::kHexLines), h1 + "\n" + h2 + "\n");
  const std::string exported = *ExportBankEntries(*store_, "list", BankFormat::kCsv);
  EXPECT_EQ(exported.substr(0, exported.find('\n')), "hash,id,category,source,added_unix");
  EXPECT_NE(exported.find(h2 + ",id-2,other,hotline,"), std::string::npos);
}

TEST_F(HashBankTest, MatcherThresholdQualityAndDihedral) {
  std::mt19937_64 rng(7);
  const PdqHash listed = RandomHash(rng);
  const PdqHash rotated_listed = RandomHash(rng);
  BankInfo strict;
  strict.name = "strict";
  strict.threshold = 10;
  BankInfo loose;
  loose.name = "loose";
  loose.dihedral = true;
  ASSERT_TRUE(store_->CreateBank(strict).ok());
  ASSERT_TRUE(store_->CreateBank(loose).ok());
  BankEntry e;
  e.hash = listed;
  ASSERT_TRUE(store_->AddEntries("strict", {e}).ok());
  ASSERT_TRUE(store_->AddEntries("loose", {e}).ok());
  e.hash = rotated_listed;
  ASSERT_TRUE(store_->AddEntries("loose", {e}).ok());
  std::vector<BankEntry> noise(2000);
  for (BankEntry& n : noise) n.hash = RandomHash(rng);
  ASSERT_TRUE(store_->AddEntries("loose", noise).ok());
  auto matcher = PdqMatcher::Create(*store_);
  ASSERT_TRUE(matcher.ok());
  EXPECT_EQ((*matcher)->entries(), 2003u);

  PdqResult q{FlipBits(listed, 20), 80};
  auto m = (*matcher)->Match(q);
  ASSERT_EQ(m.size(), 1u);  // 20 > strict's 10, <= loose's 31
  EXPECT_EQ(m[0].bank, "loose");
  EXPECT_EQ(m[0].distance, 20);
  q.hash = FlipBits(listed, 5);
  EXPECT_EQ((*matcher)->Match(q).size(), 2u);
  q.hash = FlipBits(listed, 32);
  EXPECT_TRUE((*matcher)->Match(q).empty());
  q.hash = listed;
  q.quality = 49;  // below the floor: not acted on
  EXPECT_TRUE((*matcher)->Match(q).empty());

  // Dihedral: the query's rot180 hash is close to an entry; only the dihedral bank matches it.
  PdqDihedralResult d;
  std::mt19937_64 other(99);
  for (auto& h : d.hashes) h = RandomHash(other);
  d.hashes[static_cast<int>(PdqDihedral::kRotate180)] = FlipBits(rotated_listed, 3);
  d.quality = 100;
  auto dm = (*matcher)->Match(d);
  ASSERT_EQ(dm.size(), 1u);
  EXPECT_EQ(dm[0].bank, "loose");
  EXPECT_EQ(dm[0].transform, PdqDihedral::kRotate180);
  EXPECT_EQ(dm[0].distance, 3);
  // Only some banks.
  auto only = PdqMatcher::Create(*store_, {"strict"});
  ASSERT_TRUE(only.ok());
  EXPECT_EQ((*only)->entries(), 1u);
  EXPECT_EQ(PdqMatcher::Create(*store_, {"nope"}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigil
