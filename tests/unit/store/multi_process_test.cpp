// Several processes on one database (SQLite file or PostgreSQL), each a real vigil_job_worker
// process running a JobRunner: they share the queue and no job runs twice while its lease is
// valid (heartbeats keep leases shorter than the jobs), and a claimant killed with SIGKILL
// mid-job has its job finished by the other process once the lease expired, not before.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "store_test_util.h"
#include "vigil/jobs.h"

extern char** environ;

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::TestDatabase;

// One vigil_job_worker process; SIGKILLed if still running when destroyed.
class WorkerProcess {
 public:
  WorkerProcess(const std::string& database, const std::string& worker_id, int lease_ms, int workers,
                const std::string& log) {
    std::vector<std::string> args = {VIGIL_JOB_WORKER, database, worker_id, std::to_string(lease_ms),
                                     std::to_string(workers), log};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, VIGIL_JOB_WORKER, nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
    EXPECT_GT(pid_, 0) << "cannot start " << VIGIL_JOB_WORKER;
  }
  ~WorkerProcess() {
    if (pid_ > 0) Stop(SIGKILL);
  }
  // Sends `signal` and waits; returns the exit status (or 128 + signal).
  int Stop(int signal) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
};

struct LogLine {
  std::string event, job, worker;
  int64_t ms = 0;
  int attempt = 0;
};

std::vector<LogLine> ReadLog(const std::string& path) {
  std::vector<LogLine> lines;
  std::ifstream in(path);
  std::string text;
  while (std::getline(in, text)) {
    std::istringstream fields(text);
    LogLine line;
    if (fields >> line.event >> line.job >> line.worker >> line.ms >> line.attempt) lines.push_back(line);
  }
  return lines;
}

class MultiProcess : public ::testing::TestWithParam<store::Engine> {
 protected:
  MultiProcess() : db_(GetParam()) {
    JobStoreOptions options;
    options.database = db_.url();
    auto store = JobStore::Open(options);  // creates and migrates the database before the workers
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (store.ok()) store_ = std::move(*store);
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();  // "Test/engine"
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    log_ = (std::filesystem::temp_directory_path() /
            ("vigil_multi_process_" + std::to_string(getpid()) + "_" + name + ".log"))
               .string();
    std::filesystem::remove(log_);
  }
  ~MultiProcess() override { std::filesystem::remove(log_); }

  Job Create(const std::string& options_json) {
    NewJob n;
    n.kind = "sleep";
    n.input = "x";
    n.options_json = options_json;
    auto job = store_->Create(n);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? *job : Job{};
  }
  // Waits until `done` holds (checked every 20 ms) or `timeout` passes.
  template <typename Done>
  bool WaitFor(Done done, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return done();
  }

  TestDatabase db_;
  std::unique_ptr<JobStore> store_;
  std::string log_;
};

TEST_P(MultiProcess, TwoProcessesShareTheQueueAndNoJobRunsTwiceWhileLeased) {
  ASSERT_TRUE(store_);
  std::vector<Job> jobs;
  for (int i = 0; i < 20; ++i) jobs.push_back(Create(R"({"sleep_ms":100})"));
  // Two jobs of 4 s with a 1.5 s lease: only heartbeats keep them from being claimed again.
  for (int i = 0; i < 2; ++i) jobs.push_back(Create(R"({"sleep_ms":4000})"));
  WorkerProcess a(db_.url(), "worker-a", 1500, 2, log_);
  WorkerProcess b(db_.url(), "worker-b", 1500, 2, log_);
  const bool finished = WaitFor(
      [&] {
        auto counts = store_->CountByState();
        return counts.ok() && (*counts)[JobState::kSucceeded] + (*counts)[JobState::kFailed] == int64_t(jobs.size());
      },
      120s);
  EXPECT_EQ(a.Stop(SIGTERM), 0);
  EXPECT_EQ(b.Stop(SIGTERM), 0);
  ASSERT_TRUE(finished) << "jobs did not finish";

  std::map<std::string, std::vector<LogLine>> starts;
  std::map<std::string, int> per_worker;
  for (const LogLine& line : ReadLog(log_)) {
    if (line.event == "start") {
      starts[line.job].push_back(line);
      ++per_worker[line.worker];
    }
  }
  for (const Job& submitted : jobs) {
    Job job = *store_->Get(submitted.id);
    EXPECT_EQ(job.state, JobState::kSucceeded) << job.id << " " << job.error_message;
    ASSERT_EQ(starts[job.id].size(), 1u) << "job " << job.id << " ran more than once";
    EXPECT_EQ(job.attempts, 1);
    EXPECT_EQ(job.worker_id, starts[job.id][0].worker);
    EXPECT_EQ(job.result_json, R"({"worker":")" + job.worker_id + R"(","attempt":1})");
  }
  EXPECT_GT(per_worker["worker-a"], 0) << "both processes claim work";
  EXPECT_GT(per_worker["worker-b"], 0) << "both processes claim work";
}

TEST_P(MultiProcess, AKilledClaimantsJobIsFinishedByTheOtherAfterItsLeaseExpires) {
  ASSERT_TRUE(store_);
  // The first attempt would take a minute: it is killed long before.
  Job job = Create(R"({"first_sleep_ms":60000,"sleep_ms":200})");
  constexpr int kLeaseMs = 2000;
  std::map<std::string, std::unique_ptr<WorkerProcess>> workers;
  workers["worker-a"] = std::make_unique<WorkerProcess>(db_.url(), "worker-a", kLeaseMs, 1, log_);
  workers["worker-b"] = std::make_unique<WorkerProcess>(db_.url(), "worker-b", kLeaseMs, 1, log_);
  std::string claimant;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const LogLine& line : ReadLog(log_)) {
          if (line.event == "start" && line.job == job.id) claimant = line.worker;
        }
        return !claimant.empty();
      },
      60s))
      << "nobody claimed the job";
  EXPECT_EQ(workers[claimant]->Stop(SIGKILL), 128 + SIGKILL);
  const std::string survivor = claimant == "worker-a" ? "worker-b" : "worker-a";

  Job orphaned = *store_->Get(job.id);
  EXPECT_EQ(orphaned.state, JobState::kRunning);
  EXPECT_EQ(orphaned.worker_id, claimant);
  const int64_t lease_expires_ms = orphaned.lease_expires_ms;  // nobody extends it any more
  ASSERT_TRUE(WaitFor([&] { return store_->Get(job.id)->state == JobState::kSucceeded; }, 60s))
      << "the survivor did not finish the job: " << JobStateName(store_->Get(job.id)->state);
  EXPECT_EQ(workers[survivor]->Stop(SIGTERM), 0);

  Job done = *store_->Get(job.id);
  EXPECT_EQ(done.worker_id, survivor);
  EXPECT_EQ(done.attempts, 2);
  EXPECT_EQ(done.result_json, R"({"worker":")" + survivor + R"(","attempt":2})");
  std::vector<LogLine> starts;
  for (const LogLine& line : ReadLog(log_)) {
    if (line.event == "start" && line.job == job.id) starts.push_back(line);
  }
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].worker, claimant);
  EXPECT_EQ(starts[1].worker, survivor);
  EXPECT_EQ(starts[1].attempt, 2);
  EXPECT_GE(starts[1].ms, lease_expires_ms) << "the survivor took the job while the lease was still valid";
  EXPECT_GE(starts[1].ms - starts[0].ms, kLeaseMs) << "at least one lease after the first start";
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MultiProcess, ::testing::Values(store::Engine::kSqlite), testing::EngineTestName);
INSTANTIATE_TEST_SUITE_P(Postgres, MultiProcess, ::testing::ValuesIn(testing::PostgresIfConfigured()),
                         testing::EngineTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(MultiProcess);

}  // namespace
}  // namespace vigil
