// PdqIndex: multi-index hashing over 11-16 substrings of 16-24 bits. Each table is a bucket array in
// compressed form (offsets[65537] + positions sorted by substring value, counting sort), so a probe
// is two array reads; candidates are verified with the full 256-bit distance (popcnt when the CPU
// has it). Unindexed additions form a tail scanned linearly; removals are tombstones until Compact.
#include "vigil/pdq_index.h"

#include <algorithm>
#include <array>

namespace vigil {
namespace {

// Substring layout: m substrings of (nearly) equal length covering the 256 bits. More, shorter
// substrings suit small indexes (less memory for bucket offsets), fewer, longer ones large indexes
// (fewer candidates per probe); chosen from the entry count at Compact().
struct Layout {
  int count = 0;
  std::array<int, 16> start{};
  std::array<int, 16> length{};
};

Layout MakeLayout(size_t entries, int forced) {
  Layout layout;
  layout.count = forced >= 11 && forced <= 16 ? forced
                 : entries < (size_t{1} << 21) ? 16
                 : entries < (size_t{1} << 23) ? 12
                                                : 11;
  int bit = 0;
  for (int t = 0; t < layout.count; ++t) {
    const int len = (256 - bit) / (layout.count - t);  // the longer substrings come last
    layout.start[t] = bit;
    layout.length[t] = len;
    bit += len;
  }
  return layout;
}

inline uint32_t Substring(const PdqHash& h, int start, int length) {
  const std::array<uint64_t, 4>& w = h.words();
  const int word = start >> 6, shift = start & 63;
  uint64_t v = w[word] >> shift;
  if (shift + length > 64) v |= w[word + 1] << (64 - shift);
  return static_cast<uint32_t>(v & ((uint64_t{1} << length) - 1));
}

// Masks of `length` bits with at most `radius` (<= 3) bits set, by increasing popcount.
std::vector<uint32_t> ProbeMasks(int length, int radius) {
  std::vector<uint32_t> masks{0};
  if (radius >= 1) for (int i = 0; i < length; ++i) masks.push_back(1u << i);
  if (radius >= 2) {
    for (int i = 0; i < length; ++i)
      for (int j = i + 1; j < length; ++j) masks.push_back((1u << i) | (1u << j));
  }
  if (radius >= 3) {
    for (int i = 0; i < length; ++i)
      for (int j = i + 1; j < length; ++j)
        for (int k = j + 1; k < length; ++k) masks.push_back((1u << i) | (1u << j) | (1u << k));
  }
  return masks;
}

constexpr int kMaxProbeRadius = 3;  // beyond it a linear scan is cheaper than probing

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
  constexpr size_t kAhead = 16;
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
  Layout layout;
  std::array<std::vector<uint32_t>, 16> offsets;    // 2^length + 1 each
  std::array<std::vector<uint32_t>, 16> positions;  // indexed entries, by substring value
};

PdqIndex::PdqIndex(int substrings) : substrings_(substrings) {}
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
}

bool PdqIndex::NeedsCompaction() const {
  const size_t tail = hashes_.size() - indexed_;
  return (tail > 4096 && tail * 16 > hashes_.size()) || removed_count_ * 4 > hashes_.size();
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
  tables_ = std::make_unique<Tables>();
  const size_t n = hashes_.size();
  tables_->layout = MakeLayout(n, substrings_);
  const Layout& layout = tables_->layout;
  for (int t = 0; t < layout.count; ++t) {
    const int start = layout.start[t], length = layout.length[t];
    std::vector<uint32_t>& offsets = tables_->offsets[t];
    std::vector<uint32_t>& positions = tables_->positions[t];
    offsets.assign((size_t{1} << length) + 1, 0);
    for (size_t i = 0; i < n; ++i) ++offsets[Substring(hashes_[i], start, length) + 1];
    for (size_t b = 0; b + 1 < offsets.size(); ++b) offsets[b + 1] += offsets[b];
    positions.resize(n);
    std::vector<uint32_t> next(offsets.begin(), offsets.end() - 1);
    for (size_t i = 0; i < n; ++i) positions[next[Substring(hashes_[i], start, length)]++] = static_cast<uint32_t>(i);
  }
  indexed_ = n;
}

std::vector<PdqIndex::Hit> PdqIndex::Search(const PdqHash& query, int max_distance) const {
  std::vector<std::pair<uint32_t, int>> hits;
  const uint64_t* q = query.words().data();
  const VerifyFn verify = ChooseVerify();
  const Layout* layout = tables_ ? &tables_->layout : nullptr;
  const int probe_radius = layout ? max_distance / layout->count : 0;
  const bool probe = indexed_ > 0 && probe_radius <= kMaxProbeRadius;
  if (probe) {
    // Three passes, each prefetching a few steps ahead, so the random reads of a large index
    // (bucket offsets, then positions, then the candidates' hashes: three cache misses per probe
    // at 10M entries) overlap instead of waiting one after another.
    constexpr size_t kAhead = 16;
    thread_local std::vector<const uint32_t*> bucket_ptrs;  // &offsets[bucket]
    thread_local std::vector<std::pair<const uint32_t*, uint32_t>> ranges;  // positions + begin, count
    thread_local std::vector<uint32_t> candidates;
    bucket_ptrs.clear();
    ranges.clear();
    candidates.clear();
    std::vector<uint32_t> masks;
    int masks_length = -1;
    for (int t = 0; t < layout->count; ++t) {
      const int start = layout->start[t], length = layout->length[t];
      if (length != masks_length) {
        masks = ProbeMasks(length, probe_radius);
        masks_length = length;
      }
      const uint32_t key = Substring(query, start, length);
      const uint32_t* offsets = tables_->offsets[t].data();
      const size_t first = bucket_ptrs.size();
      for (const uint32_t mask : masks) bucket_ptrs.push_back(offsets + (key ^ mask));
      const uint32_t* positions = tables_->positions[t].data();
      const size_t n = bucket_ptrs.size();
      for (size_t i = first; i < n; ++i) {
        if (i + kAhead < n) __builtin_prefetch(bucket_ptrs[i + kAhead]);
        const uint32_t begin = bucket_ptrs[i][0], end = bucket_ptrs[i][1];
        if (begin != end) ranges.emplace_back(positions + begin, end - begin);
      }
    }
    for (size_t i = 0; i < ranges.size(); ++i) {
      if (i + kAhead < ranges.size()) __builtin_prefetch(ranges[i + kAhead].first);
      candidates.insert(candidates.end(), ranges[i].first, ranges[i].first + ranges[i].second);
    }
    verify(hashes_.data(), candidates.data(), 0, candidates.size(), q, max_distance, &hits);
    // A hash close on several substrings is found once per such substring.
    std::sort(hits.begin(), hits.end());
    hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  }
  // The tail (and everything, for radii where probing would cost more than a scan).
  const size_t scan_from = probe ? indexed_ : 0;
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
    for (int t = 0; t < tables_->layout.count; ++t) {
      bytes += tables_->offsets[t].capacity() * sizeof(uint32_t) + tables_->positions[t].capacity() * sizeof(uint32_t);
    }
  }
  return bytes;
}

}  // namespace vigil
