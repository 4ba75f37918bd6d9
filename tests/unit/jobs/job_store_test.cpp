// JobStore: schema and WAL on a real SQLite file, the state machine with run tokens, recovery of
// jobs a dead process left running, cancellation, callbacks, concurrent claims, bad files.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <thread>

#include "jobs/sqlite_db.h"
#include "jobs_test_util.h"
#include "vigil/jobs.h"

namespace vigil {
namespace {

using testing::TempDbDir;

std::unique_ptr<JobStore> OpenStore(const std::string& path) {
  JobStoreOptions options;
  options.path = path;
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

Job MustClaim(JobStore& store, const std::vector<std::string>& kinds = {"test"}) {
  auto claimed = store.ClaimNext(kinds);
  EXPECT_TRUE(claimed.ok() && claimed->has_value());
  return claimed.ok() && claimed->has_value() ? **claimed : Job{};
}

TEST(JobStore, CreatesSchemaInWalModeAndRefusesANewerSchema) {
  TempDbDir tmp;
  { auto store = OpenStore(tmp.db()); ASSERT_TRUE(store); }
  {
    auto db = sqlite::Database::Open(tmp.db(), 1000, false);
    ASSERT_TRUE(db.ok());
    auto mode = (*db)->Prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.ok());
    ASSERT_TRUE(*mode->Step());
    EXPECT_EQ(mode->Text(0), "wal");
    auto version = (*db)->Prepare("PRAGMA user_version");
    ASSERT_TRUE(*version->Step());
    EXPECT_EQ(version->Int(0), JobStore::CurrentSchemaVersion());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 99").ok());
  }
  JobStoreOptions options;
  options.path = tmp.db();
  auto newer = JobStore::Open(options);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("99"), std::string::npos) << newer.status().message();
}

TEST(JobStore, RefusesAFileThatIsNotADatabase) {
  TempDbDir tmp;
  std::filesystem::create_directories(tmp.dir());
  const std::string path = (tmp.dir() / "junk.db").string();
  std::ofstream(path) << std::string(4096, 'x');
  JobStoreOptions options;
  options.path = path;
  auto store = JobStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
}

TEST(JobStore, OneOpenStorePerDatabaseWhenExclusive) {
  TempDbDir tmp;
  auto first = OpenStore(tmp.db());
  ASSERT_TRUE(first);
  JobStoreOptions options;
  options.path = tmp.db();
  auto second = JobStore::Open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another process"), std::string::npos);
  options.exclusive = false;  // readers that do not run jobs may share it
  EXPECT_TRUE(JobStore::Open(options).ok());
  first.reset();
  options.exclusive = true;
  EXPECT_TRUE(JobStore::Open(options).ok()) << "the lock is released with the store";
}

TEST(JobStore, IdsAreRandomHexAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = JobStore::NewJobId();
    ASSERT_EQ(id.size(), 32u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 2000u);
}

TEST(JobStore, JobLifecycleSurvivesReopening) {
  TempDbDir tmp;
  std::string id;
  {
    auto store = OpenStore(tmp.db());
    Job job = MustCreate(*store);
    id = job.id;
    EXPECT_EQ(job.state, JobState::kQueued);
    EXPECT_EQ(job.kind, "test");
    EXPECT_EQ(job.options_json, R"({"sampler":"keyframes"})");
    EXPECT_GT(job.created_ms, 1600000000000);
    EXPECT_EQ(job.attempts, 0);
  }
  auto store = OpenStore(tmp.db());
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
  EXPECT_GE(done->finished_ms, done->started_ms);
  EXPECT_EQ(done->callback_state, CallbackState::kNone);

  // The finished run can no longer write.
  Status late = store->Fail(run, DataLossError("late"));
  EXPECT_EQ(late.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Get(id)->state, JobState::kSucceeded);
}

TEST(JobStore, StaleRunTokenChangesNothing) {
  TempDbDir tmp;
  auto store = OpenStore(tmp.db());
  MustCreate(*store);
  Job run = MustClaim(*store);
  ASSERT_TRUE(store->Requeue(run, /*count_attempt=*/true).ok());
  Job second = MustClaim(*store);
  EXPECT_EQ(second.attempts, 2);
  EXPECT_NE(second.run_token, run.run_token);
  EXPECT_EQ(store->Succeed(run, "{}").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->SetProgress(run, 0.9).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->Fail(second, DataLossError("bad video")).ok());
  auto failed = store->Get(run.id);
  EXPECT_EQ(failed->state, JobState::kFailed);
  EXPECT_EQ(failed->error_code, "data_loss");
  EXPECT_EQ(failed->error_message, "bad video");
  EXPECT_TRUE(failed->result_json.empty());
}

TEST(JobStore, ClaimsOldestFirstAndOnlyTheGivenKinds) {
  TempDbDir tmp;
  auto store = OpenStore(tmp.db());
  Job a = MustCreate(*store, "a");
  Job b1 = MustCreate(*store, "b");
  Job b2 = MustCreate(*store, "b");
  EXPECT_EQ(MustClaim(*store, {"b"}).id, b1.id);
  EXPECT_EQ(MustClaim(*store, {"b", "a"}).id, a.id);
  EXPECT_EQ(MustClaim(*store, {"a", "b"}).id, b2.id);
  auto none = store->ClaimNext({"c"});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto counts = store->CountByState();
  EXPECT_EQ((*counts)[JobState::kRunning], 3);
  EXPECT_EQ((*counts)[JobState::kQueued], 0);
}

TEST(JobStore, RecoverRequeuesJobsADeadProcessLeftRunningUntilAttemptsRunOut) {
  TempDbDir tmp;
  std::string id, callback_id;
  {
    auto store = OpenStore(tmp.db());
    id = MustCreate(*store).id;
    callback_id = MustCreate(*store, "test", "http://127.0.0.1:9/hook").id;
    MustClaim(*store);
    MustClaim(*store);
  }  // the process "dies" with both jobs running
  for (int restart = 1; restart <= 3; ++restart) {
    auto store = OpenStore(tmp.db());
    auto recovered = store->RecoverInterrupted(/*max_attempts=*/3);
    ASSERT_TRUE(recovered.ok());
    if (restart < 3) {
      EXPECT_EQ(recovered->requeued, 2);
      EXPECT_EQ(recovered->failed, 0);
      Job job = *store->Get(id);
      EXPECT_EQ(job.state, JobState::kQueued);
      EXPECT_EQ(job.attempts, restart);
      MustClaim(*store);
      MustClaim(*store);  // and it dies again
    } else {
      EXPECT_EQ(recovered->requeued, 0);
      EXPECT_EQ(recovered->failed, 2);
      Job job = *store->Get(id);
      EXPECT_EQ(job.state, JobState::kFailed);
      EXPECT_EQ(job.error_code, "unavailable");
      EXPECT_NE(job.error_message.find("interrupted 3 times"), std::string::npos) << job.error_message;
      EXPECT_EQ(store->Get(callback_id)->callback_state, CallbackState::kPending);
    }
  }
}

TEST(JobStore, CancelQueuedAtOnceRunningOnRequestFinalRefused) {
  TempDbDir tmp;
  auto store = OpenStore(tmp.db());
  Job running = MustCreate(*store);
  Job queued = MustCreate(*store, "test", "http://hooks.example/x");
  Job run = MustClaim(*store);
  ASSERT_EQ(run.id, running.id);

  auto c1 = store->RequestCancel(queued.id);
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(c1->state, JobState::kCancelled);
  EXPECT_EQ(c1->error_code, "cancelled");
  EXPECT_EQ(c1->callback_state, CallbackState::kPending);

  auto c2 = store->RequestCancel(running.id);
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->state, JobState::kRunning);
  EXPECT_TRUE(c2->cancel_requested);
  ASSERT_TRUE(store->Cancelled(run).ok());
  EXPECT_EQ(store->Get(running.id)->state, JobState::kCancelled);

  EXPECT_EQ(store->RequestCancel(running.id).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->RequestCancel(JobStore::NewJobId()).status().code(), StatusCode::kNotFound);
}

TEST(JobStore, CallbacksBecomePendingWhenFinalAndAreTracked) {
  TempDbDir tmp;
  auto store = OpenStore(tmp.db());
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
  EXPECT_EQ(store->SetCallbackState(JobStore::NewJobId(), CallbackState::kFailed, 1).code(),
            StatusCode::kNotFound);
}

TEST(JobStore, PurgeDeletesOnlyOldFinishedJobsWithoutPendingCallbacks) {
  TempDbDir tmp;
  auto store = OpenStore(tmp.db());
  Job old_done = MustCreate(*store);
  Job old_callback = MustCreate(*store, "test", "http://127.0.0.1:9/hook");
  Job recent_done = MustCreate(*store);
  Job running = MustCreate(*store);
  Job queued = MustCreate(*store);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Succeed(MustClaim(*store), "{}").ok());
  MustClaim(*store);  // `running` stays running
  {
    auto db = sqlite::Database::Open(tmp.db(), 1000, false);
    ASSERT_TRUE(db.ok());
    auto age = (*db)->Prepare("UPDATE jobs SET finished_ms = 1000 WHERE id IN (?, ?)");
    age->Bind(1, old_done.id).Bind(2, old_callback.id);
    ASSERT_TRUE(age->Run().ok());
  }
  auto purged = store->PurgeFinished(/*finished_before_ms=*/5000);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(store->Get(old_done.id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->Get(old_callback.id).ok()) << "its callback is still pending";
  ASSERT_TRUE(store->SetCallbackState(old_callback.id, CallbackState::kDelivered, 1).ok());
  EXPECT_EQ(*store->PurgeFinished(5000), 1);
  for (const Job& j : {recent_done, running, queued}) EXPECT_TRUE(store->Get(j.id).ok());
}

TEST(JobStore, RejectsBadIdsAndKinds) {
  TempDbDir tmp;
  auto store = OpenStore(tmp.db());
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

TEST(JobStore, ConcurrentClaimsTakeEachJobOnce) {
  TempDbDir tmp;
  auto store = OpenStore(tmp.db());
  constexpr int kJobs = 200;
  for (int i = 0; i < kJobs; ++i) MustCreate(*store);
  std::mutex mutex;
  std::vector<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        auto job = store->ClaimNext({"test"});
        ASSERT_TRUE(job.ok());
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
  EXPECT_EQ((*store->CountByState())[JobState::kSucceeded], kJobs);
  auto listed = store->List(JobState::kSucceeded, 5);
  EXPECT_EQ(listed->size(), 5u);
}

}  // namespace
}  // namespace vigil
