// DecisionStore on the store's Connection interface: one decisions table (migration 0004 per
// engine), INSERT ... ON CONFLICT DO NOTHING keyed by the derived id.
#include "vigil/decision_store.h"

#include <filesystem>
#include <mutex>

#include "store/connection.h"
#include "store/migrations.h"
#include "vigil/text_checks.h"

namespace vigil {

struct DecisionStore::Impl {
  std::mutex mu;
  std::unique_ptr<store::Connection> db;
};

DecisionStore::DecisionStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DecisionStore::~DecisionStore() = default;

Result<std::unique_ptr<DecisionStore>> DecisionStore::Open(const std::string& database) {
  VIGIL_RETURN_IF_ERROR(CheckText(database, "decision database"));
  if (database.empty()) return InvalidArgumentError("decision store: no database given");
  if (!store::IsPostgresUrl(database)) {  // an SQLite file: its directory is created like the job store's
    std::error_code ec;
    const std::filesystem::path parent = std::filesystem::path(database).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return UnavailableError("decision store: cannot create " + parent.string() + ": " + ec.message());
  }
  auto impl = std::make_unique<Impl>();
  VIGIL_ASSIGN_OR_RETURN(impl->db, store::Connect(database, {}));
  VIGIL_RETURN_IF_ERROR(store::Migrate(impl->db.get()));
  return std::unique_ptr<DecisionStore>(new DecisionStore(std::move(impl)));
}

std::string DecisionStore::engine() const { return store::EngineName(impl_->db->engine()); }

Result<Decision> DecisionStore::Record(const Decision& d, bool* inserted) {
  if (d.id.empty() || d.id != DecisionId(d.content_sha256, d.policy_version, d.models)) {
    return InvalidArgumentError("decision store: the decision's id does not match its content, policy and models");
  }
  std::string models;
  for (const ModelVersion& m : d.models) models += (models.empty() ? "" : ",") + m.name + ":" + std::to_string(m.version);
  const std::string body = DecisionToJson(d);
  std::lock_guard<std::mutex> lock(impl_->mu);
  VIGIL_ASSIGN_OR_RETURN(
      store::QueryResult r,
      impl_->db->Run("INSERT INTO decisions (id, content_sha256, media_type, policy_name, policy_version, outcome, "
                     "models, latency_ms, created_ms, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                     "ON CONFLICT (id) DO NOTHING",
                     {d.id, d.content_sha256, d.media_type, d.policy_name, d.policy_version,
                      std::string(OutcomeName(d.outcome)), models, d.latency_ms, int64_t(d.created_ms), body}));
  if (inserted != nullptr) *inserted = r.changed > 0;
  if (r.changed > 0) return d;
  VIGIL_ASSIGN_OR_RETURN(store::QueryResult existing,
                         impl_->db->Run("SELECT body FROM decisions WHERE id = $1", {d.id}));
  if (existing.rows.empty()) return InternalError("decision store: " + d.id + " neither inserted nor found");
  return DecisionFromJson(existing.rows[0].Text(0));
}

Result<Decision> DecisionStore::Find(const std::string& id) {
  VIGIL_RETURN_IF_ERROR(CheckText(id, "decision id"));
  std::lock_guard<std::mutex> lock(impl_->mu);
  VIGIL_ASSIGN_OR_RETURN(store::QueryResult r, impl_->db->Run("SELECT body FROM decisions WHERE id = $1", {id}));
  if (r.rows.empty()) return NotFoundError("no decision " + id);
  return DecisionFromJson(r.rows[0].Text(0));
}

Result<std::vector<Decision>> DecisionStore::List(const DecisionQuery& q) {
  if (q.limit < 1 || q.limit > 10000) return InvalidArgumentError("decision query: limit must be 1..10000");
  if (!q.outcome.empty()) VIGIL_RETURN_IF_ERROR(ParseOutcome(q.outcome).status());
  VIGIL_RETURN_IF_ERROR(CheckText(q.content_sha256, "content_sha256"));
  std::lock_guard<std::mutex> lock(impl_->mu);
  VIGIL_ASSIGN_OR_RETURN(
      store::QueryResult r,
      impl_->db->Run("SELECT body FROM decisions WHERE ($1 = '' OR content_sha256 = $1) AND ($2 = '' OR outcome = $2) "
                     "AND created_ms >= $3 ORDER BY created_ms DESC, id LIMIT $4",
                     {q.content_sha256, q.outcome, int64_t(q.since_ms), int64_t(q.limit)}));
  std::vector<Decision> out;
  for (const store::Row& row : r.rows) {
    VIGIL_ASSIGN_OR_RETURN(Decision d, DecisionFromJson(row.Text(0)));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace vigil
