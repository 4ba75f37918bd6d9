// IntraOpChoice on synthetic timings: both executors are measured first, the faster one is used,
// the slower one is retried at growing intervals while it keeps losing, and a retry that wins by
// the margin switches the choice.
#include <gtest/gtest.h>

#include "runtime/intra_op_choice.h"

namespace vigil {
namespace {

// Runs `runs` choices where the multi- and single-threaded executors take `multi` and `single` ms;
// returns how many runs used the multi-threaded one.
int Simulate(IntraOpChoice* c, int runs, double multi, double single) {
  int multi_runs = 0;
  for (int i = 0; i < runs; ++i) {
    const IntraOpChoice::Choice choice = c->Next();
    multi_runs += choice == IntraOpChoice::kMultiThread;
    c->Record(choice, choice == IntraOpChoice::kMultiThread ? multi : single);
  }
  return multi_runs;
}

TEST(IntraOpChoice, MeasuresBothThenKeepsTheFasterOne) {
  IntraOpChoice c;
  EXPECT_EQ(c.Next(), IntraOpChoice::kMultiThread);
  c.Record(IntraOpChoice::kMultiThread, 5.0);
  EXPECT_EQ(c.Next(), IntraOpChoice::kSingleThread);
  c.Record(IntraOpChoice::kSingleThread, 9.0);
  // Idle cores: 2 threads win; the 1-thread executor is only retried, ever more rarely.
  const int multi = Simulate(&c, 4000, 5.0, 9.0);
  EXPECT_GE(multi, 4000 - 8);
  EXPECT_LT(multi, 4000);
  EXPECT_DOUBLE_EQ(c.ms_per_item(IntraOpChoice::kMultiThread), 5.0);
}

TEST(IntraOpChoice, BusyCoresSwitchToOneThreadAndRetryRarely) {
  IntraOpChoice c;
  Simulate(&c, 2, 5.0, 9.0);
  EXPECT_GT(Simulate(&c, 100, 5.0, 9.0), 95);
  // The cores become busy: multi-threaded runs collapse (300 ms), single-threaded ones slow down.
  // The next slow multi-threaded runs pull its average above the single-threaded one.
  const int multi = Simulate(&c, 5000, 300.0, 12.0);
  EXPECT_LT(multi, 20) << "at most a few collapsed runs, then retries at growing intervals";
  EXPECT_EQ(c.Next(), IntraOpChoice::kSingleThread);
  // Idle again: the next retry of the multi-threaded executor wins and it is used again.
  const int back = Simulate(&c, 3000, 5.0, 9.0);
  EXPECT_GT(back, 3000 - IntraOpChoice::kMaxInterval - 10);
}

TEST(IntraOpChoice, ARetryMustWinByTheMargin) {
  IntraOpChoice c;
  Simulate(&c, 2, 10.0, 10.5);  // multi wins narrowly
  // The single-threaded retry is only 5% faster: not enough to switch.
  EXPECT_GT(Simulate(&c, 1000, 10.0, 9.5), 1000 - 10);
}

}  // namespace
}  // namespace vigil
