// Hash banks: named lists of known PDQ hashes (industry lists, a platform's own confirmed
// content), each entry with its origin, and matching against them with a per-bank threshold,
// a query-quality floor and optional dihedral (rotated/flipped) matching.
// Thread-safety: the store of OpenBankStore is thread-safe (one mutex around its connection); the
// file store is not. PdqMatcher is immutable once built: Match may run concurrently from any
// number of threads.
//
//   // ".vigil/vigil.db" (SQLite) or "postgresql://vigil@db/vigil": the same database as the jobs.
//   VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<vigil::BankStore> store, vigil::OpenBankStore(".vigil/vigil.db"));
//   VIGIL_RETURN_IF_ERROR(store->CreateBank({.name = "terror", .threshold = 31}));
//   VIGIL_RETURN_IF_ERROR(vigil::ImportBankEntries(*store, "terror", csv_text, "tech-coalition").status());
//   VIGIL_ASSIGN_OR_RETURN(auto matcher, vigil::PdqMatcher::Create(*store));
//   VIGIL_ASSIGN_OR_RETURN(vigil::PdqDihedralResult h, vigil::HashFileDihedral("upload.jpg"));
//   for (const vigil::BankMatch& m : matcher->Match(h)) ...;  // bank, entry, distance, transform
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vigil/hashing.h"
#include "vigil/status.h"

namespace vigil {

struct BankInfo {
  std::string name;                          // [A-Za-z0-9_.-]{1,64}
  int threshold = kPdqMatchDistance;         // match at Hamming distance <= threshold (0..64)
  int quality_floor = kPdqQualityFloor;      // queries with lower quality are not matched (0..100)
  bool dihedral = false;                     // also match the query's 7 rotations and flips
  int64_t created_unix = 0;                  // set by the store
  size_t entries = 0;                        // filled in by ListBanks / GetBank
  // Filled in by ListBanks / GetBank: changes with every change of the bank's entries or settings
  // (0 = unknown: always reloaded), so a matcher can reload only the banks that changed.
  int64_t revision = 0;
};

// kInvalidArgument unless the name is 1-64 of [A-Za-z0-9_.-] not starting with '.', the threshold
// is in 0..64 and the quality floor in 0..100.
Status ValidateBankInfo(const BankInfo& info);

struct BankEntry {
  int64_t id = 0;            // assigned by the store (unique within the bank)
  PdqHash hash;
  std::string external_id;   // the list's own id for the entry ("" if none)
  std::string category;      // e.g. "terrorism", "ncii" ("" if none)
  std::string source;        // where the entry came from (list name, file, reviewer)
  int64_t added_unix = 0;    // when it was added (set by the store when 0)
  // A frame of a known video (include/vigil/video_hash.h): the time range of the original it
  // stands for, in seconds (stored to the millisecond); -1, -1 for a still image.
  double start_s = -1;
  double end_s = -1;
};

// Where banks are kept. The SQLite/PostgreSQL store implements it (one table per concept, numbered
// migrations); OpenFileBankStore keeps each bank in a directory of plain files.
class BankStore {
 public:
  virtual ~BankStore() = default;
  // kInvalidArgument for a bad name or settings, kFailedPrecondition if it exists.
  virtual Status CreateBank(const BankInfo& info) = 0;
  virtual Status DeleteBank(const std::string& name) = 0;  // kNotFound if absent
  virtual Result<std::vector<BankInfo>> ListBanks() = 0;   // sorted by name
  virtual Result<BankInfo> GetBank(const std::string& name) = 0;
  // Adds entries (ids are assigned, added_unix set when 0); returns the ids in order.
  virtual Result<std::vector<int64_t>> AddEntries(const std::string& bank, std::vector<BankEntry> entries) = 0;
  // Removes entries by id; returns how many existed.
  virtual Result<size_t> RemoveEntries(const std::string& bank, const std::vector<int64_t>& ids) = 0;
  virtual Result<std::vector<BankEntry>> ListEntries(const std::string& bank) = 0;
};

// Banks in Vigil's database (tables hash_banks and hash_bank_entries, created by the store's
// migrations): a postgresql:// URL, or else an SQLite file (created, with its directory, when
// missing), e.g. the job database .vigil/vigil.db. Thread-safe.
Result<std::unique_ptr<BankStore>> OpenBankStore(const std::string& database);

// Banks under `directory` (created if missing): <name>/bank.json and <name>/entries.csv.
Result<std::unique_ptr<BankStore>> OpenFileBankStore(const std::string& directory);

enum class BankFormat {
  kHexLines,  // one 64-digit hex hash per line
  kCsv,       // hash,id,category[,source] per line; a header line and # comments are skipped
};

// Parses `text` in `format` and adds the entries to `bank`, with `source` where a line gives none.
// Lines that do not parse are errors (kInvalidArgument naming the line); nothing is added then.
Result<std::vector<int64_t>> ImportBankEntries(BankStore& store, const std::string& bank,
                                               const std::string& text, BankFormat format,
                                               const std::string& source);
// The bank's entries in `format` (CSV: header `hash,id,category,source,added_unix`).
Result<std::string> ExportBankEntries(BankStore& store, const std::string& bank, BankFormat format);

struct BankMatch {
  std::string bank;
  BankEntry entry;
  int distance = 0;
  PdqDihedral transform = PdqDihedral::kOriginal;  // which query transform matched
};

// An immutable snapshot of banks, indexed for matching (PdqIndex per bank).
class PdqMatcher {
 public:
  // Loads every bank of `store` (or only `banks`, when not empty). With `previous`, a bank whose
  // revision is unchanged (and not 0) shares previous's loaded entries and index instead of being
  // read again: refreshing after an addition reloads only the bank that changed.
  static Result<std::unique_ptr<PdqMatcher>> Create(BankStore& store, const std::vector<std::string>& banks = {},
                                                    const PdqMatcher* previous = nullptr);
  ~PdqMatcher();

  // Matches of one hash (no dihedral transforms), best first; none when quality is below a bank's floor.
  std::vector<BankMatch> Match(const PdqResult& query) const;
  // With the dihedral hashes: banks with `dihedral` also match the 7 transforms (best per entry).
  std::vector<BankMatch> Match(const PdqDihedralResult& query) const;

  size_t entries() const;
  // Entries of `bank` with this external_id (a known video's frames), 0 when none.
  size_t CountEntries(const std::string& bank, const std::string& external_id) const;
  // The earliest start_s and latest end_s of those entries (the known video's length), or
  // {-1, -1} when none has a time range.
  std::pair<double, double> EntrySpan(const std::string& bank, const std::string& external_id) const;
  // The loaded banks' settings (with the entry count and revision they were loaded at), by name.
  std::vector<BankInfo> banks() const;

 private:
  struct Bank;
  PdqMatcher();
  std::vector<std::shared_ptr<const Bank>> banks_;
};

}  // namespace vigil
