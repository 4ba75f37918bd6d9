// The BankStore conformance suite on the database store (OpenBankStore): banks and entries through
// create, add, remove, list, delete and reopen; validation; id assignment across two connections;
// revisions; import/export; and a PdqMatcher refresh that reloads only the bank that changed and
// finds a hash added by another connection. Runs on SQLite always and on PostgreSQL when
// VIGIL_TEST_POSTGRES_URL is set (tests/integration/store_postgres.sh).
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "store/migrations.h"
#include "store_test_util.h"
#include "vigil/hash_bank.h"

namespace vigil {
namespace {

using testing::TestDatabase;

PdqHash RandomHash(std::mt19937_64& rng) { return PdqHash({rng(), rng(), rng(), rng()}); }

PdqHash FlipBits(const PdqHash& h, int n) {
  std::array<uint64_t, 4> w = h.words();
  for (int k = 0; k < n; ++k) w[(k * 37 % 256) >> 6] ^= uint64_t{1} << ((k * 37 % 256) & 63);
  return PdqHash(w);
}

class BankStoreConformance : public ::testing::TestWithParam<store::Engine> {
 protected:
  BankStoreConformance() : db_(GetParam()) {}

  std::unique_ptr<BankStore> Open() {
    auto store = OpenBankStore(db_.url());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  void MustCreate(BankStore& store, const std::string& name, int threshold = kPdqMatchDistance) {
    BankInfo info;
    info.name = name;
    info.threshold = threshold;
    Status s = store.CreateBank(info);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  TestDatabase db_;
};

TEST_P(BankStoreConformance, CreatesListsAndDeletesBanksWithTheirSettings) {
  auto store = Open();
  ASSERT_TRUE(store);
  BankInfo info;
  info.name = "terror";
  info.threshold = 20;
  info.quality_floor = 70;
  info.dihedral = true;
  ASSERT_TRUE(store->CreateBank(info).ok());
  EXPECT_EQ(store->CreateBank(info).code(), StatusCode::kFailedPrecondition);
  MustCreate(*store, "ncii");
  BankInfo bad;
  bad.name = "../etc";
  EXPECT_EQ(store->CreateBank(bad).code(), StatusCode::kInvalidArgument);
  bad.name = "ok";
  bad.threshold = 65;
  EXPECT_EQ(store->CreateBank(bad).code(), StatusCode::kInvalidArgument);
  bad.threshold = 31;
  bad.quality_floor = -1;
  EXPECT_EQ(store->CreateBank(bad).code(), StatusCode::kInvalidArgument);

  auto banks = store->ListBanks();
  ASSERT_TRUE(banks.ok()) << banks.status().ToString();
  ASSERT_EQ(banks->size(), 2u);
  EXPECT_EQ((*banks)[0].name, "ncii") << "sorted by name";
  EXPECT_EQ((*banks)[0].threshold, kPdqMatchDistance);
  EXPECT_EQ((*banks)[0].quality_floor, kPdqQualityFloor);
  EXPECT_FALSE((*banks)[0].dihedral);
  const BankInfo& t = (*banks)[1];
  EXPECT_EQ(t.name, "terror");
  EXPECT_EQ(t.threshold, 20);
  EXPECT_EQ(t.quality_floor, 70);
  EXPECT_TRUE(t.dihedral);
  EXPECT_GT(t.created_unix, 1700000000);
  EXPECT_EQ(t.entries, 0u);
  EXPECT_GT(t.revision, 0);

  EXPECT_EQ(store->GetBank("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->ListEntries("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->AddEntries("missing", {BankEntry{}}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->RemoveEntries("missing", {1}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->DeleteBank("missing").code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetBank("a'; DROP TABLE hash_banks; --").status().code(), StatusCode::kInvalidArgument);

  std::mt19937_64 rng(3);
  BankEntry e;
  e.hash = RandomHash(rng);
  ASSERT_TRUE(store->AddEntries("terror", {e}).ok());
  ASSERT_TRUE(store->DeleteBank("terror").ok());
  EXPECT_EQ(store->GetBank("terror").status().code(), StatusCode::kNotFound);
  MustCreate(*store, "terror");
  auto entries = store->ListEntries("terror");
  ASSERT_TRUE(entries.ok());
  EXPECT_TRUE(entries->empty()) << "a deleted bank's entries go with it";
}

TEST_P(BankStoreConformance, EntriesKeepEveryFieldAcrossReopenAndRemovalCountsWhatExisted) {
  std::mt19937_64 rng(1);
  std::vector<BankEntry> added(250);  // more than one 100-row insert
  for (size_t i = 0; i < added.size(); ++i) {
    added[i].hash = RandomHash(rng);
    added[i].external_id = "te-" + std::to_string(i) + ",\"x\"";
    added[i].category = i % 2 ? "terrorism" : "";
    added[i].source = "list\nA 'quoted'";
  }
  added[7].added_unix = 1700000000;
  added[5].start_s = 4.25;  // a video frame's time range in its original
  added[5].end_s = 5.5;
  std::vector<int64_t> ids;
  {
    auto store = Open();
    ASSERT_TRUE(store);
    MustCreate(*store, "known");
    auto got = store->AddEntries("known", added);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ids = *got;
    ASSERT_EQ(ids.size(), added.size());
    EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), ids.size()) << "ids are unique";
    auto removed = store->RemoveEntries("known", {ids[3], ids[3], 999999});
    ASSERT_TRUE(removed.ok()) << removed.status().ToString();
    EXPECT_EQ(*removed, 1u) << "only the one existing entry counts";
  }
  auto store = Open();  // a new connection: everything comes back from the database
  ASSERT_TRUE(store);
  auto info = store->GetBank("known");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->entries, added.size() - 1);
  auto entries = store->ListEntries("known");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), added.size() - 1);
  size_t j = 0;
  for (size_t i = 0; i < added.size(); ++i) {
    if (i == 3) continue;
    const BankEntry& e = (*entries)[j++];
    EXPECT_EQ(e.id, ids[i]) << "in id order";
    EXPECT_EQ(e.hash, added[i].hash);
    EXPECT_EQ(e.external_id, added[i].external_id);
    EXPECT_EQ(e.category, added[i].category);
    EXPECT_EQ(e.source, added[i].source);
    EXPECT_DOUBLE_EQ(e.start_s, i == 5 ? 4.25 : -1.0);
    EXPECT_DOUBLE_EQ(e.end_s, i == 5 ? 5.5 : -1.0);
    if (i == 7) {
      EXPECT_EQ(e.added_unix, 1700000000) << "a given date is kept";
    } else {
      EXPECT_GT(e.added_unix, 1700000000) << "the store dates the rest";
    }
  }
  // Ids are never reused after a removal.
  auto more = store->AddEntries("known", {added[0]});
  ASSERT_TRUE(more.ok());
  EXPECT_GT(more->at(0), ids.back());
}

TEST_P(BankStoreConformance, TwoConnectionsGetDisjointIdsAndEveryChangeMovesTheRevision) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  MustCreate(*a, "shared");
  std::mt19937_64 rng(2);
  int64_t revision = a->GetBank("shared")->revision;
  std::set<int64_t> ids;
  for (int round = 0; round < 5; ++round) {
    for (BankStore* s : {a.get(), b.get()}) {
      auto got = s->AddEntries("shared", {BankEntry{0, RandomHash(rng)}, BankEntry{0, RandomHash(rng)}});
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ids.insert(got->begin(), got->end());
      const int64_t now = b->GetBank("shared")->revision;
      EXPECT_GT(now, revision) << "an addition moves the revision";
      revision = now;
    }
  }
  EXPECT_EQ(ids.size(), 20u);
  ASSERT_TRUE(b->RemoveEntries("shared", {*ids.begin()}).ok());
  EXPECT_GT(a->GetBank("shared")->revision, revision) << "a removal moves the revision";
  EXPECT_EQ(a->GetBank("shared")->entries, 19u);
}

TEST_P(BankStoreConformance, ImportsAndExportsIndustryFormats) {
  auto store = Open();
  ASSERT_TRUE(store);
  MustCreate(*store, "list");
  std::mt19937_64 rng(4);
  const PdqHash h1 = RandomHash(rng), h2 = RandomHash(rng);
  const std::string csv = "hash,id,category\n# a comment\n" + h1.ToHex() + ",tc-1,terrorism\n" + h2.ToHex() +
                          ",tc-2,ncii,hotline\n";
  auto ids = ImportBankEntries(*store, "list", csv, BankFormat::kCsv, "tech-coalition");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(ids->size(), 2u);
  auto bad = ImportBankEntries(*store, "list", h1.ToHex() + "\nnot-a-hash\n", BankFormat::kHexLines, "x");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->GetBank("list")->entries, 2u) << "a bad line adds nothing";
  auto hex = ExportBankEntries(*store, "list", BankFormat::kHexLines);
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(*hex, h1.ToHex() + "\n" + h2.ToHex() + "\n");
  auto entries = store->ListEntries("list");
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ((*entries)[0].source, "tech-coalition");
  EXPECT_EQ((*entries)[1].source, "hotline");
  EXPECT_EQ((*entries)[1].category, "ncii");
}

TEST_P(BankStoreConformance, MatcherRefreshSeesAnotherConnectionsAdditionAndReloadsOnlyThatBank) {
  auto writer = Open();
  auto reader = Open();
  ASSERT_TRUE(writer && reader);
  MustCreate(*writer, "big", 31);
  MustCreate(*writer, "small", 10);
  std::mt19937_64 rng(5);
  std::vector<BankEntry> many(500);
  for (BankEntry& e : many) e.hash = RandomHash(rng);
  ASSERT_TRUE(writer->AddEntries("big", many).ok());
  const PdqHash known = RandomHash(rng);

  auto first = PdqMatcher::Create(*reader);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)->entries(), 500u);
  const PdqResult query{FlipBits(known, 8), 100};
  EXPECT_TRUE((*first)->Match(query).empty());

  BankEntry e;
  e.hash = known;
  e.external_id = "new";
  ASSERT_TRUE(writer->AddEntries("small", {e}).ok());
  auto second = PdqMatcher::Create(*reader, {}, first->get());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  const std::vector<BankMatch> matches = (*second)->Match(query);
  ASSERT_EQ(matches.size(), 1u) << "the new hash is matchable after a refresh, without a restart";
  EXPECT_EQ(matches[0].bank, "small");
  EXPECT_EQ(matches[0].entry.external_id, "new");
  EXPECT_EQ(matches[0].distance, 8);
  EXPECT_EQ((*second)->entries(), 501u);
  // "big" did not change: the refresh shares its loaded bank (same revision) instead of reloading.
  auto banks = (*second)->banks();
  ASSERT_EQ(banks.size(), 2u);
  EXPECT_EQ(banks[0].revision, (*first)->banks()[0].revision);
  EXPECT_NE(banks[1].revision, (*first)->banks()[1].revision);
  EXPECT_TRUE(PdqMatcher::Create(*reader, {"missing"}).status().code() == StatusCode::kNotFound);
}

TEST_P(BankStoreConformance, SharesTheDatabaseWithTheJobsSchema) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto raw = db_.Connect();
  ASSERT_TRUE(raw);
  auto applied = store::AppliedVersions(raw.get());
  ASSERT_TRUE(applied.ok());
  ASSERT_FALSE(applied->empty());
  EXPECT_EQ(applied->back(), store::LatestVersion(GetParam()));
  auto names = raw->Run("SELECT name FROM schema_migrations WHERE version = 3");
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->rows.size(), 1u);
  EXPECT_EQ(names->rows[0].Text(0), "hash_banks");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, BankStoreConformance, ::testing::Values(store::Engine::kSqlite),
                         testing::EngineTestName);
INSTANTIATE_TEST_SUITE_P(Postgres, BankStoreConformance, ::testing::ValuesIn(testing::PostgresIfConfigured()),
                         testing::EngineTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BankStoreConformance);

}  // namespace
}  // namespace vigil
