// BankMatcher: "match this image's hash against bank(s) -> matches with distance", kept current
// while banks change. It owns a thread-safe BankStore (OpenBankStore) and the PdqMatcher snapshot
// built from it; a background thread refreshes the snapshot every refresh_seconds (reloading only
// the banks whose revision moved), and Refresh() does it at once (after a write through this
// process). Hashes added by any process sharing the database are matchable within
// refresh_seconds, without a restart. This is the interface a moderation policy consumes.
// Thread-safety: every method is thread-safe; Match runs on an immutable snapshot, concurrently
// with a refresh.
//
//   VIGIL_ASSIGN_OR_RETURN(auto store, vigil::OpenBankStore(".vigil/vigil.db"));
//   VIGIL_ASSIGN_OR_RETURN(auto banks, vigil::BankMatcher::Create(std::move(store), {}));
//   VIGIL_ASSIGN_OR_RETURN(vigil::PdqDihedralResult h, vigil::HashFileDihedral("upload.jpg"));
//   for (const vigil::BankMatch& m : banks->Match(h, {"terror"})) ...;  // bank, entry, distance
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vigil/hash_bank.h"
#include "vigil/status.h"

namespace vigil {

struct BankMatcherOptions {
  // Seconds between background refreshes; 0 = none (Refresh() only).
  double refresh_seconds = 60;
};

class BankMatcher {
 public:
  // Loads every bank once (errors: the store's); then starts the refresh thread.
  static Result<std::unique_ptr<BankMatcher>> Create(std::unique_ptr<BankStore> store,
                                                     const BankMatcherOptions& options);
  ~BankMatcher();  // stops the refresh thread

  // The store (thread-safe when it came from OpenBankStore). Call Refresh() after writing to make
  // the change matchable at once.
  BankStore& store();
  // Reloads the banks that changed since the last refresh (and drops deleted ones).
  Status Refresh();
  // The current snapshot (stays valid while held, across refreshes).
  std::shared_ptr<const PdqMatcher> Current() const;

  // Matches in every bank, or only in `banks` when not empty (unknown names match nothing), best
  // first; dihedral banks also match the transforms. Each bank's threshold and quality floor apply.
  std::vector<BankMatch> Match(const PdqDihedralResult& query, const std::vector<std::string>& banks = {}) const;
  std::vector<BankMatch> Match(const PdqResult& query, const std::vector<std::string>& banks = {}) const;

 private:
  struct State;
  explicit BankMatcher(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace vigil
