// JobRunner::Submit refuses a job input with a NUL or another control character before any handler
// sees it (issue 19, defect 4: the video job ran on the path cut at the NUL), and stores nothing.
#include <gtest/gtest.h>

#include "jobs_test_util.h"
#include "vigil/jobs.h"

namespace vigil {
namespace {

using namespace std::string_literals;

// Accepts every input: the refusal can only come from the runner.
class AcceptAll : public JobHandler {
 public:
  Status Validate(const std::string&, const std::string&) const override { return Status::Ok(); }
  Result<std::string> Run(const Job&, const JobProgressFn&, const std::atomic<bool>&) override {
    return std::string("{}");
  }
};

TEST(JobInputText, NulAndControlCharactersAreRefusedAtSubmit) {
  testing::TempDbDir tmp;
  JobStoreOptions so;
  so.database = tmp.db();
  auto store = JobStore::Open(so);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto runner = JobRunner::Create(store->get(), JobRunnerOptions{});
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  ASSERT_TRUE((*runner)->RegisterHandler("t", std::make_unique<AcceptAll>()).ok());
  for (const std::string& input : {"/videos/a.mp4\0/../../etc/passwd"s, "/videos/a.mp4\n"s, "\x1b[2J"s}) {
    NewJob job;
    job.kind = "t";
    job.input = input;
    const Status s = (*runner)->Submit(job).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("job input contains a control character"), std::string::npos) << s.ToString();
  }
  NewJob fine;
  fine.kind = "t";
  fine.input = "/videos/a.mp4";
  EXPECT_TRUE((*runner)->Submit(fine).ok());
  EXPECT_EQ((*store)->List(std::nullopt, 100)->size(), 1u) << "refused jobs are not stored";
}

}  // namespace
}  // namespace vigil
