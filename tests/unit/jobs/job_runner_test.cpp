// JobRunner with test handlers: runs jobs to their final state with progress and metrics, bounds
// concurrency to the worker count, records failures and throws, cancels, drains on shutdown or
// re-queues past the drain timeout, resumes jobs whose lease a dead process left to expire, keeps
// leases alive with heartbeats, and stops a run whose lease was taken over.
#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>

#include "store/connection.h"
#include "jobs_test_util.h"
#include "vigil/jobs.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::TempDbDir;

// Runs `steps` steps of `step` each, reporting progress; honours cancel between steps. Options
// {"fail":"message"} fail the job, {"throw":true} throw; input "bad" is refused by Validate.
class StepHandler : public JobHandler {
 public:
  StepHandler(int steps, std::chrono::milliseconds step) : steps_(steps), step_(step) {}
  Status Validate(const std::string& input, const std::string&) const override {
    if (input == "bad") return InvalidArgumentError("input \"bad\" refused");
    return Status::Ok();
  }
  Result<std::string> Run(const Job& job, const JobProgressFn& progress,
                          const std::atomic<bool>& cancel) override {
    const int now = ++active_;
    int seen = max_active_.load();
    while (now > seen && !max_active_.compare_exchange_weak(seen, now)) {}
    ++runs_;
    struct Leave { std::atomic<int>& a; ~Leave() { --a; } } leave{active_};
    if (job.options_json.find("\"throw\"") != std::string::npos) throw std::runtime_error("boom");
    for (int i = 0; i < steps_; ++i) {
      if (cancel) return UnavailableError("stopped at step " + std::to_string(i));
      std::this_thread::sleep_for(step_);
      progress(double(i + 1) / steps_);
    }
    if (job.options_json.find("\"fail\"") != std::string::npos) return DataLossError("cannot decode " + job.input);
    return std::string(R"({"input":")") + job.input + R"(","steps":)" + std::to_string(steps_) + "}";
  }
  int runs() const { return runs_; }
  int max_active() const { return max_active_; }

 private:
  int steps_;
  std::chrono::milliseconds step_;
  std::atomic<int> active_{0}, max_active_{0}, runs_{0};
};

struct Fixture {
  TempDbDir tmp;
  std::unique_ptr<JobStore> store;
  MetricsRegistry metrics;
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<Job> finals;

  Fixture() {
    JobStoreOptions o;
    o.database = tmp.db();
    store = std::move(*JobStore::Open(o));
  }
  std::unique_ptr<JobRunner> Runner(StepHandler** handler_out, int workers, int steps,
                                    std::chrono::milliseconds step, std::chrono::milliseconds drain = 5000ms,
                                    std::chrono::milliseconds lease = 30000ms) {
    JobRunnerOptions o;
    o.lease = lease;
    o.workers = workers;
    o.drain_timeout = drain;
    o.poll_interval = 50ms;
    o.progress_interval = 0ms;
    o.metrics = &metrics;
    o.on_final = [this](const Job& j) {
      std::lock_guard<std::mutex> lock(mutex);
      finals.push_back(j);
      cv.notify_all();
    };
    auto runner = JobRunner::Create(store.get(), o);
    EXPECT_TRUE(runner.ok());
    auto handler = std::make_unique<StepHandler>(steps, step);
    if (handler_out) *handler_out = handler.get();
    EXPECT_TRUE((*runner)->RegisterHandler("test", std::move(handler)).ok());
    return std::move(*runner);
  }
  bool WaitFinals(size_t n, std::chrono::milliseconds timeout = 10000ms) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, timeout, [&] { return finals.size() >= n; });
  }
  Job Submit(JobRunner& runner, const std::string& input, const std::string& options = "{}") {
    NewJob n;
    n.kind = "test";
    n.input = input;
    n.options_json = options;
    auto job = runner.Submit(n);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : Job{};
  }
};

TEST(JobRunner, RunsJobsToSuccessWithProgressAndMetrics) {
  Fixture f;
  StepHandler* handler = nullptr;
  auto runner = f.Runner(&handler, 1, 4, 5ms);
  ASSERT_TRUE(runner->Start().ok());
  Job job = f.Submit(*runner, "/v/a.mp4");
  ASSERT_TRUE(f.WaitFinals(1));
  Job done = *f.store->Get(job.id);
  EXPECT_EQ(done.state, JobState::kSucceeded);
  EXPECT_EQ(done.result_json, R"({"input":"/v/a.mp4","steps":4})");
  EXPECT_DOUBLE_EQ(done.progress, 1.0);
  EXPECT_EQ(done.attempts, 1);
  EXPECT_EQ(f.finals[0].id, job.id);
  EXPECT_EQ(f.finals[0].state, JobState::kSucceeded);
  ASSERT_TRUE(runner->RefreshMetrics().ok());
  const std::string text = f.metrics.Render();
  EXPECT_NE(text.find("vigil_jobs{state=\"succeeded\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vigil_jobs{state=\"queued\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("vigil_jobs_finished_total{kind=\"test\",state=\"succeeded\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("vigil_job_duration_seconds_count{kind=\"test\",state=\"succeeded\"} 1\n"), std::string::npos);
}

TEST(JobRunner, WorkerPoolBoundsConcurrency) {
  Fixture f;
  StepHandler* handler = nullptr;
  auto runner = f.Runner(&handler, 2, 3, 10ms);
  for (int i = 0; i < 8; ++i) f.Submit(*runner, "/v/" + std::to_string(i));  // before Start: kept
  ASSERT_TRUE(runner->Start().ok());
  ASSERT_TRUE(f.WaitFinals(8));
  EXPECT_EQ(handler->runs(), 8);
  EXPECT_EQ(handler->max_active(), 2);
  EXPECT_EQ((*f.store->CountByState())[JobState::kSucceeded], 8);
}

TEST(JobRunner, FailuresThrowsAndRefusedSubmissions) {
  Fixture f;
  auto runner = f.Runner(nullptr, 1, 1, 1ms);
  ASSERT_TRUE(runner->Start().ok());
  Job failing = f.Submit(*runner, "/v/broken.mp4", R"({"fail":true})");
  Job throwing = f.Submit(*runner, "/v/x.mp4", R"({"throw":true})");
  ASSERT_TRUE(f.WaitFinals(2));
  Job a = *f.store->Get(failing.id);
  EXPECT_EQ(a.state, JobState::kFailed);
  EXPECT_EQ(a.error_code, "data_loss");
  EXPECT_EQ(a.error_message, "cannot decode /v/broken.mp4");
  Job b = *f.store->Get(throwing.id);
  EXPECT_EQ(b.state, JobState::kFailed);
  EXPECT_EQ(b.error_code, "internal");
  EXPECT_NE(b.error_message.find("boom"), std::string::npos);

  NewJob unknown;
  unknown.kind = "nope";
  EXPECT_EQ(runner->Submit(unknown).status().code(), StatusCode::kInvalidArgument);
  NewJob bad;
  bad.kind = "test";
  bad.input = "bad";
  EXPECT_EQ(runner->Submit(bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*f.store->List(std::nullopt, 100)).size(), 2u) << "refused jobs are not stored";
}

TEST(JobRunner, CancelsQueuedAndRunningJobs) {
  Fixture f;
  auto runner = f.Runner(nullptr, 1, 1000, 5ms);  // ~5 s unless cancelled
  ASSERT_TRUE(runner->Start().ok());
  Job running = f.Submit(*runner, "/v/long.mp4");
  Job queued = f.Submit(*runner, "/v/next.mp4");
  // Cancel once the job has reported progress: a job only marked running may not have started its
  // frames yet, and then "cancelled mid-run" (0 < progress < 1) could not be observed.
  for (int i = 0; i < 400; ++i) {
    Job j = *f.store->Get(running.id);
    if (j.state == JobState::kRunning && j.progress > 0) break;
    std::this_thread::sleep_for(5ms);
  }
  auto c = runner->Cancel(queued.id);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state, JobState::kCancelled);
  ASSERT_TRUE(runner->Cancel(running.id).ok());
  ASSERT_TRUE(f.WaitFinals(2, 10000ms));  // a bound on the wait, not a speed assertion
  Job r = *f.store->Get(running.id);
  EXPECT_EQ(r.state, JobState::kCancelled);
  EXPECT_GT(r.progress, 0.0);
  EXPECT_LT(r.progress, 1.0);
  EXPECT_EQ(runner->Cancel(running.id).status().code(), StatusCode::kFailedPrecondition);
}

TEST(JobRunner, ShutdownDrainsRunningJobs) {
  Fixture f;
  auto runner = f.Runner(nullptr, 1, 10, 20ms);  // 200 ms
  ASSERT_TRUE(runner->Start().ok());
  Job job = f.Submit(*runner, "/v/a.mp4");
  for (int i = 0; i < 200 && runner->Running() == 0; ++i) std::this_thread::sleep_for(2ms);
  runner->Shutdown();
  EXPECT_EQ(f.store->Get(job.id)->state, JobState::kSucceeded);
  NewJob late;
  late.kind = "test";
  EXPECT_EQ(runner->Submit(late).status().code(), StatusCode::kUnavailable);
}

TEST(JobRunner, ShutdownPastTheDrainTimeoutRequeuesAndTheNextRunnerFinishes) {
  Fixture f;
  std::string id;
  {
    // A 30 s job and a 100 ms drain: Shutdown cancels it instead of waiting for it, so the job is
    // back in the queue, not finished (had Shutdown waited, it would be kSucceeded).
    auto runner = f.Runner(nullptr, 1, 6000, 5ms, /*drain=*/100ms);
    ASSERT_TRUE(runner->Start().ok());
    id = f.Submit(*runner, "/v/long.mp4").id;
    for (int i = 0; i < 200 && runner->Running() == 0; ++i) std::this_thread::sleep_for(2ms);
    runner->Shutdown();
    Job job = *f.store->Get(id);
    EXPECT_EQ(job.state, JobState::kQueued);
    EXPECT_EQ(job.attempts, 0) << "a shutdown is not the job's fault";
    EXPECT_TRUE(f.finals.empty());
  }
  auto runner = f.Runner(nullptr, 1, 2, 1ms);
  ASSERT_TRUE(runner->Start().ok());
  ASSERT_TRUE(f.WaitFinals(1));
  Job job = *f.store->Get(id);
  EXPECT_EQ(job.state, JobState::kSucceeded);
  EXPECT_EQ(job.attempts, 1);
}

TEST(JobRunner, ResumesJobsWhoseLeaseADeadProcessLeftToExpire) {
  Fixture f;
  NewJob n;
  n.kind = "test";
  n.input = "/v/a.mp4";
  std::string id = f.store->Create(n)->id;
  std::string cancelled_id = f.store->Create(n)->id;
  std::string leased_id = f.store->Create(n)->id;
  const ClaimOptions dead{"dead-process", 1ms};
  ASSERT_TRUE(f.store->ClaimNext({"test"}, dead)->has_value());  // "crashed" mid-run
  ASSERT_TRUE(f.store->ClaimNext({"test"}, dead)->has_value());
  // A live process's claim: its lease is valid, so it is not this runner's to take.
  ASSERT_TRUE(f.store->ClaimNext({"test"}, {"live-process", 60000ms})->has_value());
  std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(f.store->RequestCancel(cancelled_id).ok());    // cancel asked before the crash
  StepHandler* handler = nullptr;
  auto runner = f.Runner(&handler, 1, 2, 1ms);
  ASSERT_TRUE(runner->Start().ok());
  ASSERT_TRUE(f.WaitFinals(2));
  Job job = *f.store->Get(id);
  EXPECT_EQ(job.state, JobState::kSucceeded);
  EXPECT_EQ(job.attempts, 2);
  EXPECT_EQ(f.store->Get(cancelled_id)->state, JobState::kCancelled);
  EXPECT_EQ(handler->runs(), 1) << "the cancelled job must not run again";
  EXPECT_EQ(job.worker_id, runner->worker_id());
  EXPECT_NE(runner->worker_id().find(':'), std::string::npos) << runner->worker_id();
  Job leased = *f.store->Get(leased_id);
  EXPECT_EQ(leased.state, JobState::kRunning);
  EXPECT_EQ(leased.worker_id, "live-process");
}

TEST(JobRunner, HeartbeatsKeepALeaseShorterThanTheJob) {
  Fixture f;
  // A 300 ms lease and a job of about 1.2 s: only heartbeats (every 100 ms) keep it.
  auto runner = f.Runner(nullptr, 1, 40, 30ms, 5000ms, /*lease=*/300ms);
  ASSERT_TRUE(runner->Start().ok());
  Job job = f.Submit(*runner, "/v/a.mp4");
  JobStoreOptions o;
  o.database = f.tmp.db();
  auto other = JobStore::Open(o);  // another process looking for expired leases meanwhile
  ASSERT_TRUE(other.ok());
  int requeued = 0;
  while (!f.WaitFinals(1, 20ms)) {
    auto expired = (*other)->ExpireLeases(3);
    ASSERT_TRUE(expired.ok());
    requeued += expired->requeued;
  }
  Job done = *f.store->Get(job.id);
  EXPECT_EQ(done.state, JobState::kSucceeded);
  EXPECT_EQ(done.attempts, 1);
  EXPECT_EQ(requeued, 0);
}

TEST(JobRunner, ALostLeaseStopsTheRunAndItWritesNothing) {
  Fixture f;
  StepHandler* handler = nullptr;
  auto runner = f.Runner(&handler, 1, 1000, 5ms, 5000ms, /*lease=*/300ms);  // ~5 s unless stopped
  ASSERT_TRUE(runner->Start().ok());
  Job job = f.Submit(*runner, "/v/a.mp4");
  for (int i = 0; i < 400 && f.store->Get(job.id)->state != JobState::kRunning; ++i) std::this_thread::sleep_for(5ms);
  // Another worker took the job over (as if this one had stalled past its lease).
  {
    auto db = store::Connect(f.tmp.db(), {});
    ASSERT_TRUE(db.ok());
    const int64_t in_a_minute = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch()).count() + 60000;
    ASSERT_TRUE((*db)->Run("UPDATE jobs SET run_token = $1, worker_id = 'other', lease_expires_ms = $2 WHERE id = $3",
                           {JobStore::NewJobId(), in_a_minute, job.id}).ok());
  }
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 400 && runner->Running() > 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(runner->Running(), 0) << "the handler was told to stop";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3000ms);
  Job now = *f.store->Get(job.id);
  EXPECT_EQ(now.state, JobState::kRunning);
  EXPECT_EQ(now.worker_id, "other");
  EXPECT_TRUE(f.finals.empty());
}

TEST(JobRunner, StartDeletesJobsPastTheRetention) {
  Fixture f;
  NewJob n;
  n.kind = "test";
  const std::string id = f.store->Create(n)->id;
  ASSERT_TRUE(f.store->Succeed(**f.store->ClaimNext({"test"}), "{}").ok());
  const std::string fresh = f.store->Create(n)->id;
  ASSERT_TRUE(f.store->Succeed(**f.store->ClaimNext({"test"}), "{}").ok());
  {
    auto db = store::Connect(f.tmp.db(), {});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Run("UPDATE jobs SET finished_ms = finished_ms - 2 * 3600 * 1000 WHERE id = $1", {id}).ok());
  }
  JobRunnerOptions o;
  o.retention = std::chrono::hours(1);
  auto runner = JobRunner::Create(f.store.get(), o);
  ASSERT_TRUE(runner.ok());
  ASSERT_TRUE((*runner)->Start().ok());
  EXPECT_EQ(f.store->Get(id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(f.store->Get(fresh).ok());
}

TEST(JobRunner, RejectsBadOptionsAndLateRegistration) {
  Fixture f;
  JobRunnerOptions o;
  o.workers = 0;
  EXPECT_EQ(JobRunner::Create(f.store.get(), o).status().code(), StatusCode::kInvalidArgument);
  o.workers = 1;
  o.max_attempts = 0;
  EXPECT_EQ(JobRunner::Create(f.store.get(), o).status().code(), StatusCode::kInvalidArgument);
  o.max_attempts = 3;
  o.lease = 0ms;
  EXPECT_EQ(JobRunner::Create(f.store.get(), o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(JobRunner::Create(nullptr, JobRunnerOptions{}).status().code(), StatusCode::kInvalidArgument);
  auto runner = f.Runner(nullptr, 1, 1, 1ms);
  EXPECT_EQ(runner->RegisterHandler("test", std::make_unique<StepHandler>(1, 1ms)).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(runner->Start().ok());
  EXPECT_EQ(runner->RegisterHandler("other", std::make_unique<StepHandler>(1, 1ms)).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(runner->Start().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace vigil
