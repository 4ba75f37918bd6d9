// SqlBankStore: the BankStore in Vigil's database (SQLite or PostgreSQL through store::Connection),
// tables hash_banks and hash_bank_entries (migration 0003). Every change runs in one transaction
// that also moves the bank's revision, next_id and entry_count, so a reader never sees entries
// without the revision that announces them. Entries are inserted 100 rows per statement.
// Thread-safety: one mutex around the connection; every method may be called from any thread.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>

#include "store/connection.h"
#include "store/migrations.h"
#include "vigil/hash_bank.h"

namespace vigil {
namespace {

using store::Row;
using store::Value;

constexpr size_t kRowsPerInsert = 100;  // 9 parameters a row: 900 per statement
constexpr const char* kBankColumns = "name, threshold, quality_floor, dihedral, created_unix, entry_count, revision";

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Seconds <-> whole milliseconds; negative (no range) is stored as -1.
int64_t ToMs(double s) { return s < 0 ? -1 : int64_t(std::llround(s * 1000.0)); }
double FromMs(int64_t ms) { return ms < 0 ? -1.0 : double(ms) / 1000.0; }

BankInfo ReadBank(const Row& row) {
  BankInfo info;
  info.name = row.Text(0);
  info.threshold = int(row.Int(1));
  info.quality_floor = int(row.Int(2));
  info.dihedral = row.Int(3) != 0;
  info.created_unix = row.Int(4);
  info.entries = size_t(row.Int(5));
  info.revision = row.Int(6);
  return info;
}

class SqlBankStore final : public BankStore {
 public:
  explicit SqlBankStore(std::unique_ptr<store::Connection> db) : db_(std::move(db)) {}

  Status CreateBank(const BankInfo& info) override {
    VIGIL_RETURN_IF_ERROR(ValidateBankInfo(info));
    std::lock_guard<std::mutex> lock(mutex_);
    VIGIL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db_.get()));
    VIGIL_ASSIGN_OR_RETURN(store::QueryResult existing, db_->Run("SELECT 1 FROM hash_banks WHERE name = $1", {info.name}));
    if (!existing.rows.empty()) return FailedPreconditionError("bank '" + info.name + "' already exists");
    VIGIL_RETURN_IF_ERROR(db_->Run("INSERT INTO hash_banks (name, threshold, quality_floor, dihedral, created_unix) "
                                   "VALUES ($1, $2, $3, $4, $5)",
                                   {info.name, int64_t(info.threshold), int64_t(info.quality_floor),
                                    int64_t(info.dihedral ? 1 : 0), NowUnix()})
                              .status());
    return tx.Commit();
  }

  Status DeleteBank(const std::string& name) override {
    VIGIL_RETURN_IF_ERROR(CheckName(name));
    std::lock_guard<std::mutex> lock(mutex_);
    VIGIL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db_.get()));
    VIGIL_ASSIGN_OR_RETURN(store::QueryResult gone, db_->Run("DELETE FROM hash_banks WHERE name = $1", {name}));
    if (gone.changed == 0) return NotFoundError("no bank '" + name + "'");
    VIGIL_RETURN_IF_ERROR(db_->Run("DELETE FROM hash_bank_entries WHERE bank = $1", {name}).status());
    return tx.Commit();
  }

  Result<std::vector<BankInfo>> ListBanks() override {
    std::lock_guard<std::mutex> lock(mutex_);
    VIGIL_ASSIGN_OR_RETURN(store::QueryResult r,
                           db_->Run(std::string("SELECT ") + kBankColumns + " FROM hash_banks ORDER BY name"));
    std::vector<BankInfo> banks;
    for (const Row& row : r.rows) banks.push_back(ReadBank(row));
    return banks;
  }

  Result<BankInfo> GetBank(const std::string& name) override {
    VIGIL_RETURN_IF_ERROR(CheckName(name));
    std::lock_guard<std::mutex> lock(mutex_);
    return GetLocked(name);
  }

  Result<std::vector<int64_t>> AddEntries(const std::string& bank, std::vector<BankEntry> entries) override {
    VIGIL_RETURN_IF_ERROR(CheckName(bank));
    std::lock_guard<std::mutex> lock(mutex_);
    VIGIL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db_.get()));
    // The UPDATE takes the bank's row lock (PostgreSQL) before next_id is read, so concurrent
    // additions from several processes get disjoint ids.
    const int64_t n = int64_t(entries.size());
    VIGIL_ASSIGN_OR_RETURN(store::QueryResult bumped,
                           db_->Run("UPDATE hash_banks SET next_id = next_id + $2, entry_count = entry_count + $2, "
                                    "revision = revision + 1 WHERE name = $1 RETURNING next_id",
                                    {bank, n}));
    if (bumped.rows.empty()) return NotFoundError("no bank '" + bank + "'");
    int64_t next_id = bumped.rows[0].Int(0) - n;
    const int64_t now = NowUnix();
    std::vector<int64_t> ids;
    ids.reserve(entries.size());
    for (size_t start = 0; start < entries.size(); start += kRowsPerInsert) {
      const size_t count = std::min(kRowsPerInsert, entries.size() - start);
      std::string sql =
          "INSERT INTO hash_bank_entries (bank, id, hash, external_id, category, source, added_unix, start_ms, end_ms) "
          "VALUES ";
      std::vector<Value> params = {bank};
      for (size_t i = 0; i < count; ++i) {
        BankEntry& e = entries[start + i];
        e.id = next_id++;
        if (e.added_unix == 0) e.added_unix = now;
        const size_t p = params.size() + 1;
        sql += (i ? ", ($1" : "($1");
        for (size_t k = 0; k < 8; ++k) sql += ", $" + std::to_string(p + k);
        sql += ")";
        params.insert(params.end(), {e.id, e.hash.ToHex(), e.external_id, e.category, e.source, e.added_unix,
                                     ToMs(e.start_s), ToMs(e.end_s)});
        ids.push_back(e.id);
      }
      VIGIL_RETURN_IF_ERROR(db_->Run(sql, params).status());
    }
    VIGIL_RETURN_IF_ERROR(tx.Commit());
    return ids;
  }

  Result<size_t> RemoveEntries(const std::string& bank, const std::vector<int64_t>& ids) override {
    VIGIL_RETURN_IF_ERROR(CheckName(bank));
    std::lock_guard<std::mutex> lock(mutex_);
    VIGIL_ASSIGN_OR_RETURN(store::Transaction tx, store::Transaction::Begin(db_.get()));
    VIGIL_ASSIGN_OR_RETURN(store::QueryResult locked,
                           db_->Run("UPDATE hash_banks SET revision = revision + 1 WHERE name = $1", {bank}));
    if (locked.changed == 0) return NotFoundError("no bank '" + bank + "'");
    int64_t removed = 0;
    for (int64_t id : ids) {
      VIGIL_ASSIGN_OR_RETURN(store::QueryResult r,
                             db_->Run("DELETE FROM hash_bank_entries WHERE bank = $1 AND id = $2", {bank, id}));
      removed += r.changed;
    }
    VIGIL_RETURN_IF_ERROR(
        db_->Run("UPDATE hash_banks SET entry_count = entry_count - $2 WHERE name = $1", {bank, removed}).status());
    VIGIL_RETURN_IF_ERROR(tx.Commit());
    return size_t(removed);
  }

  Result<std::vector<BankEntry>> ListEntries(const std::string& bank) override {
    VIGIL_RETURN_IF_ERROR(CheckName(bank));
    std::lock_guard<std::mutex> lock(mutex_);
    VIGIL_RETURN_IF_ERROR(GetLocked(bank).status());
    VIGIL_ASSIGN_OR_RETURN(store::QueryResult r,
                           db_->Run("SELECT id, hash, external_id, category, source, added_unix, start_ms, end_ms "
                                    "FROM hash_bank_entries WHERE bank = $1 ORDER BY id",
                                    {bank}));
    std::vector<BankEntry> entries;
    entries.reserve(r.rows.size());
    for (const Row& row : r.rows) {
      BankEntry e;
      e.id = row.Int(0);
      Result<PdqHash> hash = PdqHash::FromHex(row.Text(1));
      if (!hash.ok()) {
        return DataLossError("bank '" + bank + "' entry " + std::to_string(e.id) + " has a malformed hash");
      }
      e.hash = *hash;
      e.external_id = row.Text(2);
      e.category = row.Text(3);
      e.source = row.Text(4);
      e.added_unix = row.Int(5);
      e.start_s = FromMs(row.Int(6));
      e.end_s = FromMs(row.Int(7));
      entries.push_back(std::move(e));
    }
    return entries;
  }

 private:
  static Status CheckName(const std::string& name) {
    BankInfo probe;
    probe.name = name;
    return ValidateBankInfo(probe);
  }

  Result<BankInfo> GetLocked(const std::string& name) {
    VIGIL_ASSIGN_OR_RETURN(store::QueryResult r,
                           db_->Run(std::string("SELECT ") + kBankColumns + " FROM hash_banks WHERE name = $1", {name}));
    if (r.rows.empty()) return NotFoundError("no bank '" + name + "'");
    return ReadBank(r.rows[0]);
  }

  std::mutex mutex_;
  std::unique_ptr<store::Connection> db_;
};

}  // namespace

Result<std::unique_ptr<BankStore>> OpenBankStore(const std::string& database) {
  if (database.empty()) return InvalidArgumentError("bank store: empty database path");
  if (!store::IsPostgresUrl(database)) {
    const std::filesystem::path parent = std::filesystem::path(database).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) return FailedPreconditionError("cannot create " + parent.string() + ": " + ec.message());
    }
  }
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<store::Connection> db, store::Connect(database, {}));
  VIGIL_RETURN_IF_ERROR(store::Migrate(db.get()));
  return std::unique_ptr<BankStore>(std::make_unique<SqlBankStore>(std::move(db)));
}

}  // namespace vigil
