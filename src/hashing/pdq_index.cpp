// PdqIndex: multi-index hashing over 16 substrings of 16 bits. Each table is a bucket array in
// compressed form (offsets[65537] + positions sorted by substring value, counting sort), so a probe
// is two array reads; candidates are verified with the full 256-bit distance (popcnt when the CPU
// has it). Unindexed additions form a tail scanned linearly; removals are tombstones until Compact.
#include "vigil/pdq_index.h"

#include <algorithm>
#include <array>

namespace vigil {
namespace {

constexpr int kTables = 16;
constexpr int kBuckets = 1 << 16;

inline uint32_t Substring(const PdqHash& h, int t) {
  return static_cast<uint32_t>(h.words()[t >> 2] >> (16 * (t & 3))) & 0xffffu;
}

// 16-bit masks with at most 2 bits set, by popcount: 1, then 16, then 120.
struct ProbeMasks {
  std::vector<uint32_t> masks;
  std::array<size_t, 3> count_up_to{};  // masks with popcount <= p are masks[0, count_up_to[p])
  ProbeMasks() {
    masks.push_back(0);
    count_up_to[0] = masks.size();
    for (int i = 0; i < 16; ++i) masks.push_back(1u << i);
    count_up_to[1] = masks.size();
    for (int i = 0; i < 16; ++i) {
      for (int j = i + 1; j < 16; ++j) masks.push_back((1u << i) | (1u << j));
    }
    count_up_to[2] = masks.size();
  }
};
const ProbeMasks& Masks() {
  static const ProbeMasks masks;
  return masks;
}

inline int DistanceGeneric(const uint64_t* a, const uint64_t* b) {
  return __builtin_popcountll(a[0] ^ b[0]) + __builtin_popcountll(a[1] ^ b[1]) +
         __builtin_popcountll(a[2] ^ b[2]) + __builtin_popcountll(a[3] ^ b[3]);
}

// Verifies `count` candidates against the query and appends those within max_distance: positions
// positions[0..count) or, when positions is null, the contiguous first..first+count.
template <typename Distance>
inline void Verify(const PdqHash* hashes, const uint32_t* positions, uint32_t first, size_t count,
                   const uint64_t* q, int max_distance, std::vector<std::pair<uint32_t, int>>* hits,
                   Distance distance) {
  constexpr size_t kAhead = 8;
  if (positions == nullptr) {
    for (size_t i = 0; i < count; ++i) {
      const uint32_t pos = first + static_cast<uint32_t>(i);
      const int d = distance(hashes[pos].words().data(), q);
      if (d <= max_distance) hits->emplace_back(pos, d);
    }
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    if (i + kAhead < count) __builtin_prefetch(&hashes[positions[i + kAhead]]);
    const uint32_t pos = positions[i];
    const int d = distance(hashes[pos].words().data(), q);
    if (d <= max_distance) hits->emplace_back(pos, d);
  }
}

__attribute__((target("popcnt"))) void VerifyPopcnt(const PdqHash* hashes, const uint32_t* positions,
                                                     uint32_t first, size_t count, const uint64_t* q,
                                                     int max_distance,
                                                     std::vector<std::pair<uint32_t, int>>* hits) {
  Verify(hashes, positions, first, count, q, max_distance, hits, [](const uint64_t* a, const uint64_t* b) {
    return __builtin_popcountll(a[0] ^ b[0]) + __builtin_popcountll(a[1] ^ b[1]) +
           __builtin_popcountll(a[2] ^ b[2]) + __builtin_popcountll(a[3] ^ b[3]);
  });
}

void VerifyGeneric(const PdqHash* hashes, const uint32_t* positions, uint32_t first, size_t count,
                   const uint64_t* q, int max_distance, std::vector<std::pair<uint32_t, int>>* hits) {
  Verify(hashes, positions, first, count, q, max_distance, hits, DistanceGeneric);
}

using VerifyFn = void (*)(const PdqHash*, const uint32_t*, uint32_t, size_t, const uint64_t*, int,
                          std::vector<std::pair<uint32_t, int>>*);
VerifyFn ChooseVerify() {
  static const VerifyFn fn = __builtin_cpu_supports("popcnt") ? VerifyPopcnt : VerifyGeneric;
  return fn;
}

}  // namespace

struct PdqIndex::Tables {
  std::array<std::vector<uint32_t>, kTables> offsets;    // kBuckets + 1 each
  std::array<std::vector<uint32_t>, kTables> positions;  // indexed entries, by substring value
};

PdqIndex::PdqIndex() = default;
PdqIndex::~PdqIndex() = default;
PdqIndex::PdqIndex(PdqIndex&&) noexcept = default;
PdqIndex& PdqIndex::operator=(PdqIndex&&) noexcept = default;

void PdqIndex::Reserve(size_t count) {
  hashes_.reserve(count);
  ids_.reserve(count);
  removed_.reserve(count);
}

void PdqIndex::Add(int64_t id, const PdqHash& hash) {
  hashes_.push_back(hash);
  ids_.push_back(id);
  removed_.push_back(0);
  const size_t tail = hashes_.size() - indexed_;
  if (tail > 4096 && tail * 16 > hashes_.size()) Compact();
}

size_t PdqIndex::Remove(int64_t id) {
  size_t n = 0;
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (ids_[i] == id && !removed_[i]) {
      removed_[i] = 1;
      ++n;
    }
  }
  removed_count_ += n;
  return n;
}

void PdqIndex::Compact() {
  if (removed_count_ > 0) {
    size_t out = 0;
    for (size_t i = 0; i < hashes_.size(); ++i) {
      if (removed_[i]) continue;
      hashes_[out] = hashes_[i];
      ids_[out] = ids_[i];
      ++out;
    }
    hashes_.resize(out);
    ids_.resize(out);
    removed_.assign(out, 0);
    removed_count_ = 0;
  }
  if (!tables_) tables_ = std::make_unique<Tables>();
  const size_t n = hashes_.size();
  for (int t = 0; t < kTables; ++t) {
    std::vector<uint32_t>& offsets = tables_->offsets[t];
    std::vector<uint32_t>& positions = tables_->positions[t];
    offsets.assign(kBuckets + 1, 0);
    for (size_t i = 0; i < n; ++i) ++offsets[Substring(hashes_[i], t) + 1];
    for (int b = 0; b < kBuckets; ++b) offsets[b + 1] += offsets[b];
    positions.resize(n);
    std::vector<uint32_t> next(offsets.begin(), offsets.end() - 1);
    for (size_t i = 0; i < n; ++i) positions[next[Substring(hashes_[i], t)]++] = static_cast<uint32_t>(i);
    positions.shrink_to_fit();
  }
  indexed_ = n;
}

std::vector<PdqIndex::Hit> PdqIndex::Search(const PdqHash& query, int max_distance) const {
  std::vector<std::pair<uint32_t, int>> hits;
  const uint64_t* q = query.words().data();
  const VerifyFn verify = ChooseVerify();
  const int probe_radius = max_distance / kTables;
  if (indexed_ > 0 && probe_radius <= 2) {
    const ProbeMasks& masks = Masks();
    const size_t probes = masks.count_up_to[probe_radius];
    for (int t = 0; t < kTables; ++t) {
      const uint32_t key = Substring(query, t);
      const uint32_t* offsets = tables_->offsets[t].data();
      const uint32_t* positions = tables_->positions[t].data();
      for (size_t m = 0; m < probes; ++m) {
        const uint32_t bucket = key ^ masks.masks[m];
        verify(hashes_.data(), positions + offsets[bucket], 0, offsets[bucket + 1] - offsets[bucket],
               q, max_distance, &hits);
      }
    }
    // A hash close on several substrings is found once per such substring.
    std::sort(hits.begin(), hits.end());
    hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  }
  // The tail (and everything, for radii where probing would cost more than a scan).
  const size_t scan_from = (indexed_ > 0 && probe_radius <= 2) ? indexed_ : 0;
  verify(hashes_.data(), nullptr, static_cast<uint32_t>(scan_from), hashes_.size() - scan_from, q,
         max_distance, &hits);

  std::vector<Hit> out;
  out.reserve(hits.size());
  for (const auto& [pos, d] : hits) {
    if (!removed_[pos]) out.push_back(Hit{ids_[pos], d});
  }
  std::sort(out.begin(), out.end(),
            [](const Hit& a, const Hit& b) { return a.distance != b.distance ? a.distance < b.distance : a.id < b.id; });
  return out;
}

size_t PdqIndex::size() const { return hashes_.size() - removed_count_; }

size_t PdqIndex::MemoryBytes() const {
  size_t bytes = hashes_.capacity() * sizeof(PdqHash) + ids_.capacity() * sizeof(int64_t) + removed_.capacity();
  if (tables_) {
    for (int t = 0; t < kTables; ++t) {
      bytes += tables_->offsets[t].capacity() * sizeof(uint32_t) + tables_->positions[t].capacity() * sizeof(uint32_t);
    }
  }
  return bytes;
}

}  // namespace vigil
