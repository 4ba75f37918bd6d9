// DecisionStore: the append-only record of moderation decisions, in SQLite (a file path, the
// embedded default) or PostgreSQL (a postgresql:// URL), through the store's adapters and
// migrations (docs/store.md). A decision's id is derived from its content hash, policy version and
// model versions (vigil::DecisionId), so recording is idempotent: the same content under the same
// policy and models is stored once, and a second Record returns the first decision unchanged.
//
//   VIGIL_ASSIGN_OR_RETURN(auto store, vigil::DecisionStore::Open("vigil.db"));
//   bool inserted = false;
//   VIGIL_ASSIGN_OR_RETURN(vigil::Decision kept, store->Record(decision, &inserted));
//   VIGIL_ASSIGN_OR_RETURN(vigil::Decision again, store->Find(kept.id));   // kNotFound if unknown
//
// Thread-safety: every method is thread-safe (one connection behind a mutex); several processes
// may share one database (SQLite's write lock, PostgreSQL's transactions).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vigil/moderation.h"
#include "vigil/status.h"

namespace vigil {

struct DecisionQuery {
  std::string content_sha256;  // "" = any
  std::string outcome;         // "", "allow", "review" or "block"
  int64_t since_ms = 0;        // created at or after
  int limit = 100;             // 1..10000, newest first
};

class DecisionStore {
 public:
  static Result<std::unique_ptr<DecisionStore>> Open(const std::string& database);
  ~DecisionStore();

  // Stores the decision unless its id is already stored; returns what is stored under the id
  // (the earlier decision when there was one) and sets *inserted accordingly.
  Result<Decision> Record(const Decision& decision, bool* inserted = nullptr);
  Result<Decision> Find(const std::string& id);
  Result<std::vector<Decision>> List(const DecisionQuery& query);
  // "sqlite" or "postgresql".
  std::string engine() const;

 private:
  struct Impl;
  explicit DecisionStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
