// DecisionStore on every engine (SQLite always; PostgreSQL when VIGIL_TEST_POSTGRES_URL is set,
// which tests/integration/store_postgres.sh does): idempotent recording by derived id, lookup,
// queries, and refusal of a decision whose id does not match its content.
#include "vigil/decision_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "unit/store/store_test_util.h"

namespace vigil {
namespace {

class DecisionStoreConformance : public ::testing::TestWithParam<store::Engine> {};

Decision MakeDecision(const std::string& content, Outcome outcome, int64_t created_ms) {
  Decision d;
  d.content_sha256 = Sha256Hex(content);
  d.media_type = "image";
  d.policy_name = "default";
  d.policy_version = "sha256:" + std::string(64, 'a');
  d.models = {{"nsfw_mobilenet_v2", 1}, {"nanodet_coco", 1}};
  d.outcome = outcome;
  d.action = outcome == Outcome::kAllow ? "none" : "queue_for_review";
  d.reason = "test";
  CategoryResult c;
  c.name = "sexual";
  c.score = 0.25;
  c.raw_score = 0.25;
  c.outcome = outcome;
  c.model = "nsfw_mobilenet_v2";
  c.model_version = 1;
  c.evidence.push_back({"nsfw_mobilenet_v2", 1, "Porn", 0.25f, std::nullopt});
  d.categories.push_back(c);
  d.latency_ms = 12.5;
  d.created_ms = created_ms;
  d.id = DecisionId(d.content_sha256, d.policy_version, d.models);
  return d;
}

TEST_P(DecisionStoreConformance, RecordsOncePerIdAndFindsIt) {
  testing::TestDatabase db(GetParam());
  auto store = DecisionStore::Open(db.url());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->engine(), store::EngineName(GetParam()));
  Decision d = MakeDecision("photo-1", Outcome::kReview, 1000);
  bool inserted = false;
  Result<Decision> kept = (*store)->Record(d, &inserted);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_TRUE(inserted);
  // The same content, policy and models again (a retry, or a later upload): not recorded twice,
  // and the first decision is what comes back.
  Decision again = d;
  again.created_ms = 2000;
  again.latency_ms = 99;
  kept = (*store)->Record(again, &inserted);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_FALSE(inserted);
  EXPECT_EQ(kept->created_ms, 1000);
  EXPECT_EQ(DecisionToJson(*kept), DecisionToJson(d));

  Result<Decision> found = (*store)->Find(d.id);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(DecisionToJson(*found), DecisionToJson(d));
  EXPECT_EQ((*store)->Find("dec_nope").status().code(), StatusCode::kNotFound);

  Result<std::vector<Decision>> all = (*store)->List({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_P(DecisionStoreConformance, ListsByOutcomeContentAndTime) {
  testing::TestDatabase db(GetParam());
  auto store = DecisionStore::Open(db.url());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE((*store)->Record(MakeDecision("item-" + std::to_string(i), i % 3 == 0 ? Outcome::kBlock : Outcome::kAllow,
                                              1000 + i)).ok());
  }
  DecisionQuery q;
  q.outcome = "block";
  Result<std::vector<Decision>> blocked = (*store)->List(q);
  ASSERT_TRUE(blocked.ok()) << blocked.status().ToString();
  ASSERT_EQ(blocked->size(), 2u);
  EXPECT_EQ((*blocked)[0].created_ms, 1003);  // newest first
  q = {};
  q.since_ms = 1004;
  EXPECT_EQ((*store)->List(q)->size(), 2u);
  q = {};
  q.content_sha256 = Sha256Hex("item-2");
  ASSERT_EQ((*store)->List(q)->size(), 1u);
  q = {};
  q.limit = 3;
  EXPECT_EQ((*store)->List(q)->size(), 3u);
  q.outcome = "maybe";
  EXPECT_EQ((*store)->List(q).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(DecisionStoreConformance, RefusesADecisionWhoseIdDoesNotMatch) {
  testing::TestDatabase db(GetParam());
  auto store = DecisionStore::Open(db.url());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Decision d = MakeDecision("photo", Outcome::kAllow, 1);
  d.policy_version = "sha256:" + std::string(64, 'b');  // id still of the old version
  EXPECT_EQ((*store)->Record(d).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(DecisionStoreConformance, ConcurrentRecordsOfOneDecisionStoreItOnce) {
  testing::TestDatabase db(GetParam());
  auto a = DecisionStore::Open(db.url());
  auto b = DecisionStore::Open(db.url());
  ASSERT_TRUE(a.ok() && b.ok());
  std::atomic<int> inserted_count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      DecisionStore* s = (t % 2 ? *a : *b).get();
      for (int i = 0; i < 10; ++i) {
        bool inserted = false;
        if (s->Record(MakeDecision("shared-" + std::to_string(i), Outcome::kReview, 5), &inserted).ok() && inserted) {
          inserted_count += 1;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(inserted_count.load(), 10);
  DecisionQuery q;
  q.limit = 100;
  EXPECT_EQ((*a)->List(q)->size(), 10u);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DecisionStoreConformance, ::testing::Values(store::Engine::kSqlite),
                         testing::EngineTestName);
INSTANTIATE_TEST_SUITE_P(Postgres, DecisionStoreConformance, ::testing::ValuesIn(testing::PostgresIfConfigured()),
                         testing::EngineTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DecisionStoreConformance);

}  // namespace
}  // namespace vigil
