// PdqIndex: Hamming-radius search over a large set of 256-bit PDQ hashes (multi-index hashing).
// Thread-safety: const methods (Search, size, MemoryBytes) may run concurrently from any number of
// threads; Add, Remove and Compact need exclusive access (the caller holds a writer lock).
//
//   vigil::PdqIndex index;
//   index.Add(42, hash);                       // ids are the caller's (e.g. bank entry ids)
//   index.Compact();                           // optional: fold recent additions into the tables
//   for (const vigil::PdqIndex::Hit& hit : index.Search(query, 31)) use(hit.id, hit.distance);
//
// Search is exact: every stored hash within max_distance is returned, nothing farther (each
// candidate is verified). The 256 bits are cut into m substrings (16 of 16 bits below 2M entries,
// 12 of 21-22 bits below 8M, 11 of 23-24 bits beyond); a hash within r of the query agrees with it
// to within floor(r / m) bits on at least one substring (pigeonhole), so probing each substring's
// table at that radius finds it (radius 1 or 2 at r = 31; past radius 3 a linear scan is used).
// Recent additions sit in an unindexed tail, scanned linearly, until Compact() folds them into
// the tables; the owner calls Compact() when NeedsCompaction() (after a bulk load, or when the
// tail has grown past 1/16 of the index), so a bulk load compacts once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "vigil/hashing.h"

namespace vigil {

class PdqIndex {
 public:
  struct Hit {
    int64_t id = 0;
    int distance = 0;
  };

  // `substrings`: 0 picks the layout from the entry count at each Compact(); 11..16 forces one
  // (for tests and benchmarks).
  explicit PdqIndex(int substrings = 0);
  ~PdqIndex();
  PdqIndex(PdqIndex&&) noexcept;
  PdqIndex& operator=(PdqIndex&&) noexcept;

  // Adds a hash under `id` (ids need not be unique; Remove removes every entry with the id).
  void Add(int64_t id, const PdqHash& hash);
  // Removes the entries with `id`; returns how many there were.
  size_t Remove(int64_t id);
  // Rebuilds the tables over every live entry (drops removed ones, indexes the tail).
  void Compact();
  // True when the tail is over 4096 entries and 1/16 of the index, or a quarter is removed.
  bool NeedsCompaction() const;
  // Reserves room for `count` entries (avoids reallocations when loading a bank).
  void Reserve(size_t count);

  // Every live entry within `max_distance` (0..256) of `query`, sorted by distance then id.
  std::vector<Hit> Search(const PdqHash& query, int max_distance) const;

  size_t size() const;  // live entries
  size_t MemoryBytes() const;  // heap bytes held by the index

 private:
  struct Tables;
  std::vector<PdqHash> hashes_;
  std::vector<int64_t> ids_;
  std::vector<uint8_t> removed_;
  size_t removed_count_ = 0;
  int substrings_ = 0;
  size_t indexed_ = 0;  // entries [0, indexed_) are in the tables, the rest is the tail
  std::unique_ptr<Tables> tables_;  // pimpl keeps the table layout out of the header
};

}  // namespace vigil
