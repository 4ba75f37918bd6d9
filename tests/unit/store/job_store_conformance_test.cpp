// The JobStore conformance suite: every JobStore method, leases (claim, heartbeat, expiry, lost
// leases), idempotent results and schema migrations, run on every engine: SQLite always,
// PostgreSQL when VIGIL_TEST_POSTGRES_URL is set (tests/integration/store_postgres.sh starts one).
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "store/migrations.h"
#include "store_test_util.h"
#include "vigil/jobs.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::TestDatabase;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class JobStoreConformance : public ::testing::TestWithParam<store::Engine> {
 protected:
  JobStoreConformance() : db_(GetParam()) {}

  std::unique_ptr<JobStore> Open() {
    JobStoreOptions options;
    options.database = db_.url();
    auto store = JobStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  Job MustCreate(JobStore& store, const std::string& kind = "test", const std::string& callback = "") {
    NewJob n;
    n.kind = kind;
    n.input = "/data/in.mp4";
    n.options_json = R"({"sampler":"keyframes"})";
    n.callback_url = callback;
    auto job = store.Create(n);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : Job{};
  }
  Job MustClaim(JobStore& store, const std::vector<std::string>& kinds = {"test"}, const ClaimOptions& claim = {}) {
    auto claimed = store.ClaimNext(kinds, claim);
    EXPECT_TRUE(claimed.ok()) << claimed.status().ToString();
    EXPECT_TRUE(claimed.ok() && claimed->has_value()) << "nothing to claim";
    return claimed.ok() && claimed->has_value() ? **claimed : Job{};
  }
  // Runs one statement on a raw connection (to age rows, or plant a newer schema version).
  void Sql(const std::string& sql, const std::vector<store::Value>& params = {}) {
    auto raw = db_.Connect();
    ASSERT_TRUE(raw);
    auto r = raw->Run(sql, params);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  TestDatabase db_;
};

TEST_P(JobStoreConformance, MigratesToTheLatestVersionOnceAndRecordsEachMigration) {
  { auto store = Open(); ASSERT_TRUE(store); EXPECT_EQ(std::string(store->engine()), store::EngineName(GetParam())); }
  { auto again = Open(); ASSERT_TRUE(again) << "reopening a current database changes nothing"; }
  auto raw = db_.Connect();
  ASSERT_TRUE(raw);
  auto applied = store::AppliedVersions(raw.get());
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  std::vector<int> expected;
  for (const store::Migration& m : store::Migrations(GetParam())) expected.push_back(m.version);
  EXPECT_EQ(*applied, expected);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(expected.back(), JobStore::CurrentSchemaVersion());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(expected[i], int(i + 1)) << "versions are 1, 2, ...";
  auto names = raw->Run("SELECT name FROM schema_migrations WHERE version = 1");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->rows.at(0).Text(0), "jobs");
}

TEST_P(JobStoreConformance, RefusesADatabaseFromANewerVigil) {
  { auto store = Open(); ASSERT_TRUE(store); }
  Sql("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (999, 'from_the_future', 0)");
  JobStoreOptions options;
  options.database = db_.url();
  auto newer = JobStore::Open(options);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("999"), std::string::npos) << newer.status().message();
}

TEST_P(JobStoreConformance, SecondStoreOnOneDatabaseIsAllowed) {
  auto first = Open();
  auto second = Open();
  ASSERT_TRUE(first && second);
  Job job = MustCreate(*first);
  EXPECT_EQ(second->Get(job.id)->kind, "test");
}

TEST_P(JobStoreConformance, IdsAreRandomHexAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = JobStore::NewJobId();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 2000u);
}

TEST_P(JobStoreConformance, JobLifecycleSurvivesReopening) {
  std::string id;
  {
    auto store = Open();
    Job job = MustCreate(*store);
    id = job.id;
    EXPECT_EQ(job.state, JobState::kQueued);
    EXPECT_EQ(job.kind, "test");
    EXPECT_EQ(job.input, "/data/in.mp4");
    EXPECT_EQ(job.options_json, R"({"sampler":"keyframes"})");
    EXPECT_GT(job.created_ms, 1600000000000);
    EXPECT_EQ(job.attempts, 0);
    EXPECT_TRUE(job.worker_id.empty());
  }
  auto store = Open();
  auto again = store->Get(id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->state, JobState::kQueued);

  Job run = MustClaim(*store);
  EXPECT_EQ(run.id, id);
  EXPECT_EQ(run.state, JobState::kRunning);
  EXPECT_EQ(run.attempts, 1);
  EXPECT_EQ(run.run_token.size(), 32u);
  EXPECT_GE(run.started_ms, run.created_ms);
  auto none = store->ClaimNext({"test"});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "a running job must not be claimed twice";

  ASSERT_TRUE(store->SetProgress(run, 0.4).ok());
  EXPECT_DOUBLE_EQ(store->Get(id)->progress, 0.4);
  ASSERT_TRUE(store->Succeed(run, R"({"labels":[]})").ok());
  auto done = store->Get(id);
  EXPECT_EQ(done->state, JobState::kSucceeded);
  EXPECT_EQ(done->result_json, R"({"labels":[]})");
  EXPECT_DOUBLE_EQ(done->progress, 1.0);
  EXPECT_TRUE(done->run_token.empty());
  EXPECT_EQ(done->lease_expires_ms, 0);
  EXPECT_GE(done->finished_ms, done->started_ms);
  EXPECT_EQ(done->callback_state, CallbackState::kNone);

  // The finished run can no longer write anything else.
  EXPECT_EQ(store->Fail(run, DataLossError("late")).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->SetProgress(run, 0.5).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Get(id)->state, JobState::kSucceeded);
}

TEST_P(JobStoreConformance, StaleRunTokenChangesNothing) {
  auto store = Open();
  MustCreate(*store);
  Job run = MustClaim(*store);
  ASSERT_TRUE(store->Requeue(run, /*count_attempt=*/true).ok());
  Job second = MustClaim(*store);
  EXPECT_EQ(second.attempts, 2);
  EXPECT_NE(second.run_token, run.run_token);
  EXPECT_EQ(store->Succeed(run, "{}").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->SetProgress(run, 0.9).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Heartbeat(run, 10s).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->Fail(second, DataLossError("bad video")).ok());
  auto failed = store->Get(run.id);
  EXPECT_EQ(failed->state, JobState::kFailed);
  EXPECT_EQ(failed->error_code, "data_loss");
  EXPECT_EQ(failed->error_message, "bad video");
  EXPECT_TRUE(failed->result_json.empty());
}

TEST_P(JobStoreConformance, RequeueUndoesTheAttemptOnlyWhenAsked) {
  auto store = Open();
  Job job = MustCreate(*store);
  Job run = MustClaim(*store, {"test"}, {"w1", 60s});
  ASSERT_TRUE(store->SetProgress(run, 0.5).ok());
  ASSERT_TRUE(store->Requeue(run, /*count_attempt=*/false).ok());
  Job queued = *store->Get(job.id);
  EXPECT_EQ(queued.state, JobState::kQueued);
  EXPECT_EQ(queued.attempts, 0);
  EXPECT_DOUBLE_EQ(queued.progress, 0);
  EXPECT_TRUE(queued.run_token.empty());
  EXPECT_TRUE(queued.worker_id.empty());
  EXPECT_EQ(queued.lease_expires_ms, 0);
  EXPECT_EQ(store->Requeue(run, false).code(), StatusCode::kFailedPrecondition) << "no longer held";
}

TEST_P(JobStoreConformance, ClaimsOldestFirstAndOnlyTheGivenKinds) {
  auto store = Open();
  Job a = MustCreate(*store, "a");
  Job b1 = MustCreate(*store, "b");
  Job b2 = MustCreate(*store, "b");
  EXPECT_EQ(MustClaim(*store, {"b"}).id, b1.id);
  EXPECT_EQ(MustClaim(*store, {"b", "a"}).id, a.id);
  EXPECT_EQ(MustClaim(*store, {"a", "b"}).id, b2.id);
  auto none = store->ClaimNext({"c"});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(store->ClaimNext({})->has_value());
  auto counts = store->CountByState();
  EXPECT_EQ((*counts)[JobState::kRunning], 3);
  EXPECT_EQ((*counts)[JobState::kQueued], 0);
  EXPECT_EQ((*counts)[JobState::kCancelled], 0);
}

TEST_P(JobStoreConformance, ClaimRecordsTheWorkerAndTheLease) {
  auto store = Open();
  MustCreate(*store);
  const int64_t before = NowMs();
  Job run = MustClaim(*store, {"test"}, {"host-a:42:beef", 5000ms});
  const int64_t after = NowMs();
  EXPECT_EQ(run.worker_id, "host-a:42:beef");
  EXPECT_GE(run.lease_expires_ms, before + 5000);
  EXPECT_LE(run.lease_expires_ms, after + 5000);
  EXPECT_EQ(store->Get(run.id)->worker_id, "host-a:42:beef");
  EXPECT_EQ(store->ClaimNext({"test"}, {"w", 0ms}).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(JobStoreConformance, HeartbeatExtendsTheLeaseOfTheHolderOnly) {
  auto store = Open();
  MustCreate(*store);
  Job run = MustClaim(*store, {"test"}, {"w1", 1000ms});
  const int64_t first = run.lease_expires_ms;
  ASSERT_TRUE(store->Heartbeat(run, 60s).ok());
  const int64_t extended = store->Get(run.id)->lease_expires_ms;
  EXPECT_GE(extended, first + 59000);
  Job stranger = run;
  stranger.run_token = JobStore::NewJobId();
  EXPECT_EQ(store->Heartbeat(stranger, 60s).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Heartbeat(run, 0ms).code(), StatusCode::kInvalidArgument);
  // A valid lease is not expired, however often anyone looks.
  for (int i = 0; i < 3; ++i) {
    auto expired = store->ExpireLeases(/*max_attempts=*/3);
    ASSERT_TRUE(expired.ok()) << expired.status().ToString();
    EXPECT_EQ(expired->requeued, 0);
    EXPECT_TRUE(expired->failed.empty());
  }
  EXPECT_EQ(store->Get(run.id)->state, JobState::kRunning);
  EXPECT_EQ(store->Get(run.id)->run_token, run.run_token);
}

TEST_P(JobStoreConformance, AnExpiredLeaseMakesTheJobClaimableAndLocksTheOldRunOut) {
  auto store = Open();
  auto other = Open();  // another process's store on the same database
  Job job = MustCreate(*store);
  Job dead = MustClaim(*store, {"test"}, {"dead-worker", 30ms});
  std::this_thread::sleep_for(60ms);
  EXPECT_FALSE(other->ClaimNext({"test"}, {"w2", 60s})->has_value()) << "running until the lease is expired";
  auto expired = other->ExpireLeases(/*max_attempts=*/3);
  ASSERT_TRUE(expired.ok()) << expired.status().ToString();
  EXPECT_EQ(expired->requeued, 1);
  EXPECT_TRUE(expired->failed.empty());
  Job queued = *other->Get(job.id);
  EXPECT_EQ(queued.state, JobState::kQueued);
  EXPECT_EQ(queued.attempts, 1) << "the lost run counts";
  EXPECT_TRUE(queued.worker_id.empty());

  Job taken = MustClaim(*other, {"test"}, {"w2", 60s});
  EXPECT_EQ(taken.id, job.id);
  EXPECT_EQ(taken.attempts, 2);
  EXPECT_EQ(taken.worker_id, "w2");
  // The old holder wakes up: every write is refused, and nothing changes.
  EXPECT_EQ(store->Heartbeat(dead, 60s).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->SetProgress(dead, 0.7).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Succeed(dead, R"({"from":"dead"})").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Requeue(dead, false).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(other->Succeed(taken, R"({"from":"w2"})").ok());
  Job done = *store->Get(job.id);
  EXPECT_EQ(done.state, JobState::kSucceeded);
  EXPECT_EQ(done.result_json, R"({"from":"w2"})");
  EXPECT_EQ(done.worker_id, "w2");
}

TEST_P(JobStoreConformance, ExpiredLeasesFailJobsOutOfAttemptsWithTheirCallbackPending) {
  auto store = Open();
  Job plain = MustCreate(*store);
  Job hooked = MustCreate(*store, "test", "http://127.0.0.1:9/hook");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    MustClaim(*store, {"test"}, {"w", 1ms});
    MustClaim(*store, {"test"}, {"w", 1ms});
    std::this_thread::sleep_for(20ms);
    auto expired = store->ExpireLeases(/*max_attempts=*/2);
    ASSERT_TRUE(expired.ok());
    if (attempt == 1) {
      EXPECT_EQ(expired->requeued, 2);
      EXPECT_TRUE(expired->failed.empty());
      EXPECT_EQ(store->Get(plain.id)->attempts, 1);
    } else {
      EXPECT_EQ(expired->requeued, 0);
      EXPECT_EQ(std::set<std::string>(expired->failed.begin(), expired->failed.end()),
                (std::set<std::string>{plain.id, hooked.id}));
    }
  }
  Job failed = *store->Get(plain.id);
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.error_code, "unavailable");
  EXPECT_NE(failed.error_message.find("interrupted 2 times"), std::string::npos) << failed.error_message;
  EXPECT_GT(failed.finished_ms, 0);
  EXPECT_EQ(failed.callback_state, CallbackState::kNone);
  EXPECT_EQ(store->Get(hooked.id)->callback_state, CallbackState::kPending);
  EXPECT_FALSE(store->ClaimNext({"test"})->has_value());
}

TEST_P(JobStoreConformance, FinalWritesAreIdempotentForTheSameRun) {
  auto store = Open();
  Job a = MustCreate(*store);
  Job b = MustCreate(*store);
  Job run_a = MustClaim(*store);
  Job run_b = MustClaim(*store);
  ASSERT_TRUE(store->Succeed(run_a, R"({"n":1})").ok());
  EXPECT_TRUE(store->Succeed(run_a, R"({"n":1})").ok()) << "a repeated write (lost reply) succeeds";
  EXPECT_TRUE(store->Succeed(run_a, R"({"n":2})").ok());
  EXPECT_EQ(store->Get(a.id)->result_json, R"({"n":1})") << "the first result stays";
  EXPECT_EQ(store->Fail(run_a, InternalError("x")).code(), StatusCode::kFailedPrecondition)
      << "a different outcome is not a repeat";
  ASSERT_TRUE(store->Fail(run_b, DataLossError("bad")).ok());
  EXPECT_TRUE(store->Fail(run_b, DataLossError("bad")).ok());
  EXPECT_EQ(store->Get(b.id)->error_message, "bad");
  Job stranger = run_a;
  stranger.run_token = JobStore::NewJobId();
  EXPECT_EQ(store->Succeed(stranger, "{}").code(), StatusCode::kFailedPrecondition);
}

TEST_P(JobStoreConformance, CancelQueuedAtOnceRunningOnRequestFinalRefused) {
  auto store = Open();
  Job running = MustCreate(*store);
  Job queued = MustCreate(*store, "test", "http://hooks.example/x");
  Job run = MustClaim(*store);
  ASSERT_EQ(run.id, running.id);

  auto c1 = store->RequestCancel(queued.id);
  ASSERT_TRUE(c1.ok()) << c1.status().ToString();
  EXPECT_EQ(c1->state, JobState::kCancelled);
  EXPECT_EQ(c1->error_code, "cancelled");
  EXPECT_EQ(c1->callback_state, CallbackState::kPending);
  EXPECT_GT(c1->finished_ms, 0);

  auto c2 = store->RequestCancel(running.id);
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->state, JobState::kRunning);
  EXPECT_TRUE(c2->cancel_requested);
  ASSERT_TRUE(store->Cancelled(run).ok());
  EXPECT_EQ(store->Get(running.id)->state, JobState::kCancelled);

  EXPECT_EQ(store->RequestCancel(running.id).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->RequestCancel(JobStore::NewJobId()).status().code(), StatusCode::kNotFound);
}

TEST_P(JobStoreConformance, CallbacksBecomePendingWhenFinalAndAreTracked) {
  auto store = Open();
  Job with = MustCreate(*store, "test", "http://127.0.0.1:1234/hook");
  MustCreate(*store);
  EXPECT_EQ(with.callback_state, CallbackState::kNone);
  EXPECT_TRUE(store->PendingCallbacks(10)->empty());
  Job run1 = MustClaim(*store);
  Job run2 = MustClaim(*store);
  ASSERT_TRUE(store->Succeed(run1, "{}").ok());
  ASSERT_TRUE(store->Succeed(run2, "{}").ok());
  auto pending = store->PendingCallbacks(10);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, with.id);
  EXPECT_EQ((*pending)[0].callback_url, "http://127.0.0.1:1234/hook");
  ASSERT_TRUE(store->SetCallbackState(with.id, CallbackState::kDelivered, 2).ok());
  EXPECT_TRUE(store->PendingCallbacks(10)->empty());
  EXPECT_EQ(store->Get(with.id)->callback_attempts, 2);
  EXPECT_EQ(store->Get(with.id)->callback_state, CallbackState::kDelivered);
  EXPECT_EQ(store->SetCallbackState(JobStore::NewJobId(), CallbackState::kFailed, 1).code(), StatusCode::kNotFound);
}

TEST_P(JobStoreConformance, PurgeDeletesOnlyOldFinishedJobsWithoutPendingCallbacks) {
  auto store = Open();
  Job old_done = MustCreate(*store);
  Job old_callback = MustCreate(*store, "test", "http://127.0.0.1:9/hook");
  Job recent_done = MustCreate(*store);
  Job running = MustCreate(*store);
  Job queued = MustCreate(*store);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Succeed(MustClaim(*store), "{}").ok());
  MustClaim(*store);  // `running` stays running
  Sql("UPDATE jobs SET finished_ms = 1000 WHERE id IN ($1, $2)", {old_done.id, old_callback.id});
  auto purged = store->PurgeFinished(/*finished_before_ms=*/5000);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(store->Get(old_done.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->Get(old_callback.id).ok()) << "its callback is still pending";
  ASSERT_TRUE(store->SetCallbackState(old_callback.id, CallbackState::kDelivered, 1).ok());
  EXPECT_EQ(*store->PurgeFinished(5000), 1);
  for (const Job& j : {recent_done, running, queued}) EXPECT_TRUE(store->Get(j.id).ok());
}

TEST_P(JobStoreConformance, ListsNewestFirstFilteredAndLimited) {
  auto store = Open();
  std::vector<Job> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back(MustCreate(*store));
  ASSERT_TRUE(store->Succeed(MustClaim(*store), "{}").ok());  // jobs[0]
  auto all = store->List(std::nullopt, 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ((*all)[i].id, jobs[4 - i].id) << "newest first, " << i;
  auto queued = store->List(JobState::kQueued, 2);
  ASSERT_EQ(queued->size(), 2u);
  EXPECT_EQ((*queued)[0].id, jobs[4].id);
  EXPECT_EQ((*queued)[1].id, jobs[3].id);
  auto done = store->List(JobState::kSucceeded, 10);
  ASSERT_EQ(done->size(), 1u);
  EXPECT_EQ((*done)[0].id, jobs[0].id);
}

TEST_P(JobStoreConformance, RejectsBadIdsAndKinds) {
  auto store = Open();
  NewJob n;
  n.kind = "";
  EXPECT_EQ(store->Create(n).status().code(), StatusCode::kInvalidArgument);
  n.kind = "test";
  n.id = "../../etc/passwd";
  EXPECT_EQ(store->Create(n).status().code(), StatusCode::kInvalidArgument);
  n.id = JobStore::NewJobId();
  ASSERT_TRUE(store->Create(n).ok());
  EXPECT_EQ(store->Create(n).status().code(), StatusCode::kInvalidArgument) << "duplicate id";
  EXPECT_EQ(store->Get("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Get("x' OR '1'='1").status().code(), StatusCode::kNotFound);
}

TEST_P(JobStoreConformance, ConcurrentClaimsFromTwoStoresTakeEachJobOnce) {
  auto first = Open();
  auto second = Open();
  constexpr int kJobs = 120;
  for (int i = 0; i < kJobs; ++i) MustCreate(*first);
  std::mutex mutex;
  std::vector<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    JobStore* store = t % 2 ? second.get() : first.get();
    threads.emplace_back([&, store, t] {
      for (;;) {
        auto job = store->ClaimNext({"test"}, {"thread" + std::to_string(t), 60s});
        ASSERT_TRUE(job.ok()) << job.status().ToString();
        if (!job->has_value()) return;
        ASSERT_TRUE(store->Succeed(**job, "{}").ok());
        std::lock_guard<std::mutex> lock(mutex);
        claimed.push_back((*job)->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.size(), size_t(kJobs));
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), size_t(kJobs));
  EXPECT_EQ((*first->CountByState())[JobState::kSucceeded], kJobs);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, JobStoreConformance, ::testing::Values(store::Engine::kSqlite),
                         testing::EngineTestName);
INSTANTIATE_TEST_SUITE_P(Postgres, JobStoreConformance, ::testing::ValuesIn(testing::PostgresIfConfigured()),
                         testing::EngineTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(JobStoreConformance);

}  // namespace
}  // namespace vigil
