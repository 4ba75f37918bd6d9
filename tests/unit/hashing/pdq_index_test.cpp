// PdqIndex against brute force on seeded random hashes with planted near-duplicates at every
// distance 0..40: exact results (nothing missed, nothing farther) through the tables, the unindexed
// tail and the linear-scan radii; removal, compaction and re-adding.
#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "vigil/pdq_index.h"

namespace vigil {
namespace {

PdqHash RandomHash(std::mt19937_64& rng) { return PdqHash({rng(), rng(), rng(), rng()}); }

// `base` with exactly `bits` distinct bits flipped.
PdqHash Flip(const PdqHash& base, int bits, std::mt19937_64& rng) {
  std::vector<int> order(256);
  for (int i = 0; i < 256; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::array<uint64_t, 4> w = base.words();
  for (int i = 0; i < bits; ++i) w[order[i] >> 6] ^= uint64_t{1} << (order[i] & 63);
  return PdqHash(w);
}

std::vector<PdqIndex::Hit> BruteForce(const std::vector<std::pair<int64_t, PdqHash>>& entries,
                                      const PdqHash& q, int r) {
  std::vector<PdqIndex::Hit> out;
  for (const auto& [id, h] : entries) {
    const int d = h.Distance(q);
    if (d <= r) out.push_back({id, d});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
  });
  return out;
}

void ExpectSame(const std::vector<PdqIndex::Hit>& got, const std::vector<PdqIndex::Hit>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].id, want[i].id);
    EXPECT_EQ(got[i].distance, want[i].distance);
  }
}

class PdqIndexLayout : public ::testing::TestWithParam<int> {};

TEST_P(PdqIndexLayout, ExactAgainstBruteForceWithPlantedNeighbours) {
  std::mt19937_64 rng(11);
  std::vector<std::pair<int64_t, PdqHash>> entries;
  PdqIndex index(GetParam());
  for (int64_t id = 0; id < 30000; ++id) {
    entries.emplace_back(id, RandomHash(rng));
  }
  // Queries, each with planted neighbours at distances 0..40 (several per distance).
  std::vector<PdqHash> queries;
  int64_t next_id = 1000000;
  for (int q = 0; q < 20; ++q) {
    const PdqHash query = RandomHash(rng);
    queries.push_back(query);
    for (int d = 0; d <= 40; ++d) entries.emplace_back(next_id++, Flip(query, d, rng));
  }
  std::shuffle(entries.begin(), entries.end(), rng);
  for (const auto& [id, h] : entries) index.Add(id, h);
  index.Compact();
  EXPECT_EQ(index.size(), entries.size());
  for (int radius : {0, 15, 16, 31, 32, 40, 47, 48, 60}) {
    for (const PdqHash& q : queries) {
      const auto got = index.Search(q, radius);
      const auto want = BruteForce(entries, q, radius);
      EXPECT_GE(want.size(), static_cast<size_t>(std::min(radius, 40) + 1));
      ExpectSame(got, want);
    }
  }
}

// 16 substrings of 16 bits (probe radius 1 at 31), 12 of 21-22 and 11 of 23-24 bits (radius 2),
// 13 (radius 2, mixed lengths).
INSTANTIATE_TEST_SUITE_P(Substrings, PdqIndexLayout, ::testing::Values(16, 13, 12, 11));

TEST(PdqIndex, TailRemovalAndCompaction) {
  std::mt19937_64 rng(5);
  PdqIndex index;
  std::vector<std::pair<int64_t, PdqHash>> entries;
  for (int64_t id = 0; id < 5000; ++id) entries.emplace_back(id, RandomHash(rng));
  for (const auto& [id, h] : entries) index.Add(id, h);
  EXPECT_TRUE(index.NeedsCompaction());
  index.Compact();
  EXPECT_FALSE(index.NeedsCompaction());
  // New entries go to the tail and are found before any compaction.
  const PdqHash query = RandomHash(rng);
  for (int d : {0, 10, 31}) {
    entries.emplace_back(100 + d * 1000, Flip(query, d, rng));
    index.Add(entries.back().first, entries.back().second);
  }
  ExpectSame(index.Search(query, 31), BruteForce(entries, query, 31));
  EXPECT_EQ(index.Search(query, 31).size(), 3u);
  // Removal hides an entry at once, in the tables and in the tail.
  EXPECT_EQ(index.Remove(100 + 10 * 1000), 1u);
  EXPECT_EQ(index.Remove(123456789), 0u);
  auto hits = index.Search(query, 31);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].distance, 0);
  EXPECT_EQ(hits[1].distance, 31);
  index.Compact();
  EXPECT_EQ(index.size(), 5002u);
  EXPECT_EQ(index.Search(query, 31).size(), 2u);
  EXPECT_EQ(index.Search(entries[7].second, 0).front().id, 7);
  EXPECT_GT(index.MemoryBytes(), 5002u * 32);
}

TEST(PdqIndex, EmptyAndUncompacted) {
  PdqIndex index;
  std::mt19937_64 rng(3);
  const PdqHash q = RandomHash(rng);
  EXPECT_TRUE(index.Search(q, 31).empty());
  index.Add(1, q);  // never compacted: the whole index is the tail
  ASSERT_EQ(index.Search(q, 0).size(), 1u);
  EXPECT_EQ(index.Search(q, 0)[0].id, 1);
}

}  // namespace
}  // namespace vigil
