// FileBankStore: the BankStore on plain files, until banks move into the SQLite/PostgreSQL store.
// <dir>/<name>/bank.json holds the settings and the next id; <dir>/<name>/entries.csv one entry per
// line (id,hash,added_unix,external_id,category,source[,start_s,end_s for a video frame]; text
// fields percent-encode ',', '%' and line breaks). Additions append; removals rewrite the file through a temporary and a rename.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "vigil/hash_bank.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Encode(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ',' || c == '%' || c == '\n' || c == '\r') {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// ",start,end" for a video frame's entry (seconds, to the millisecond), "" for a still image.
std::string TimeFields(const BankEntry& e) {
  if (e.start_s < 0) return "";
  char buf[64];
  std::snprintf(buf, sizeof(buf), ",%.3f,%.3f", e.start_s, e.end_s);
  return buf;
}

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) fields.push_back(field);
  if (!line.empty() && line.back() == sep) fields.emplace_back();
  return fields;
}

class FileBankStore : public BankStore {
 public:
  explicit FileBankStore(fs::path dir) : dir_(std::move(dir)) {}

  Status CreateBank(const BankInfo& info) override {
    VIGIL_RETURN_IF_ERROR(ValidateBankInfo(info));
    const fs::path bank = dir_ / info.name;
    if (fs::exists(bank)) return FailedPreconditionError("bank '" + info.name + "' already exists");
    std::error_code ec;
    fs::create_directories(bank, ec);
    if (ec) return InternalError("cannot create " + bank.string() + ": " + ec.message());
    BankInfo stored = info;
    stored.created_unix = NowUnix();
    stored.revision = 1;
    VIGIL_RETURN_IF_ERROR(WriteInfo(stored, 1));
    std::ofstream(bank / "entries.csv").flush();
    return Status::Ok();
  }

  Status DeleteBank(const std::string& name) override {
    VIGIL_RETURN_IF_ERROR(CheckExists(name));
    std::error_code ec;
    fs::remove_all(dir_ / name, ec);
    if (ec) return InternalError("cannot delete bank '" + name + "': " + ec.message());
    return Status::Ok();
  }

  Result<std::vector<BankInfo>> ListBanks() override {
    std::vector<BankInfo> banks;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      if (!fs::exists(entry.path() / "bank.json")) continue;
      VIGIL_ASSIGN_OR_RETURN(BankInfo info, GetBank(entry.path().filename().string()));
      banks.push_back(std::move(info));
    }
    if (ec) return InternalError("cannot list " + dir_.string() + ": " + ec.message());
    std::sort(banks.begin(), banks.end(), [](const BankInfo& a, const BankInfo& b) { return a.name < b.name; });
    return banks;
  }

  Result<BankInfo> GetBank(const std::string& name) override {
    int64_t next_id = 0;
    VIGIL_ASSIGN_OR_RETURN(BankInfo info, ReadInfo(name, &next_id));
    VIGIL_ASSIGN_OR_RETURN(std::vector<BankEntry> entries, ListEntries(name));
    info.entries = entries.size();
    return info;
  }

  Result<std::vector<int64_t>> AddEntries(const std::string& bank, std::vector<BankEntry> entries) override {
    int64_t next_id = 0;
    VIGIL_ASSIGN_OR_RETURN(BankInfo info, ReadInfo(bank, &next_id));
    const int64_t now = NowUnix();
    std::ofstream out(dir_ / bank / "entries.csv", std::ios::app);
    std::vector<int64_t> ids;
    ids.reserve(entries.size());
    for (BankEntry& e : entries) {
      e.id = next_id++;
      if (e.added_unix == 0) e.added_unix = now;
      out << e.id << ',' << e.hash.ToHex() << ',' << e.added_unix << ',' << Encode(e.external_id) << ','
          << Encode(e.category) << ',' << Encode(e.source) << TimeFields(e) << '\n';
      ids.push_back(e.id);
    }
    out.flush();
    if (!out) return InternalError("cannot write entries of bank '" + bank + "'");
    ++info.revision;
    VIGIL_RETURN_IF_ERROR(WriteInfo(info, next_id));
    return ids;
  }

  Result<size_t> RemoveEntries(const std::string& bank, const std::vector<int64_t>& ids) override {
    int64_t next_id = 0;
    VIGIL_ASSIGN_OR_RETURN(BankInfo info, ReadInfo(bank, &next_id));
    VIGIL_ASSIGN_OR_RETURN(std::vector<BankEntry> entries, ListEntries(bank));
    const std::set<int64_t> remove(ids.begin(), ids.end());
    const fs::path path = dir_ / bank / "entries.csv";
    const fs::path tmp = dir_ / bank / "entries.csv.tmp";
    size_t removed = 0;
    {
      std::ofstream out(tmp, std::ios::trunc);
      for (const BankEntry& e : entries) {
        if (remove.count(e.id)) {
          ++removed;
          continue;
        }
        out << e.id << ',' << e.hash.ToHex() << ',' << e.added_unix << ',' << Encode(e.external_id) << ','
            << Encode(e.category) << ',' << Encode(e.source) << TimeFields(e) << '\n';
      }
      out.flush();
      if (!out) return InternalError("cannot write entries of bank '" + bank + "'");
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) return InternalError("cannot replace " + path.string() + ": " + ec.message());
    ++info.revision;
    VIGIL_RETURN_IF_ERROR(WriteInfo(info, next_id));
    return removed;
  }

  Result<std::vector<BankEntry>> ListEntries(const std::string& bank) override {
    VIGIL_RETURN_IF_ERROR(CheckExists(bank));
    std::ifstream in(dir_ / bank / "entries.csv");
    std::vector<BankEntry> entries;
    std::string line;
    size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      const std::vector<std::string> f = Split(line, ',');
      Result<PdqHash> hash = f.size() == 6 || f.size() == 8 ? PdqHash::FromHex(f[1]) : Result<PdqHash>(DataLossError("fields"));
      if (!hash.ok()) {
        return DataLossError("bank '" + bank + "' entries.csv line " + std::to_string(number) + " is malformed");
      }
      BankEntry e;
      e.id = std::stoll(f[0]);
      e.hash = *hash;
      e.added_unix = std::stoll(f[2]);
      e.external_id = Decode(f[3]);
      e.category = Decode(f[4]);
      e.source = Decode(f[5]);
      if (f.size() == 8) {
        e.start_s = std::stod(f[6]);
        e.end_s = std::stod(f[7]);
      }
      entries.push_back(std::move(e));
    }
    return entries;
  }

 private:
  Status CheckExists(const std::string& name) {
    BankInfo probe;
    probe.name = name;
    VIGIL_RETURN_IF_ERROR(ValidateBankInfo(probe));
    if (!fs::exists(dir_ / name / "bank.json")) return NotFoundError("no bank '" + name + "'");
    return Status::Ok();
  }

  Result<BankInfo> ReadInfo(const std::string& name, int64_t* next_id) {
    VIGIL_RETURN_IF_ERROR(CheckExists(name));
    std::ifstream in(dir_ / name / "bank.json");
    nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return DataLossError("bank '" + name + "': bank.json is malformed");
    BankInfo info;
    info.name = name;
    info.threshold = j.value("threshold", kPdqMatchDistance);
    info.quality_floor = j.value("quality_floor", kPdqQualityFloor);
    info.dihedral = j.value("dihedral", false);
    info.created_unix = j.value("created_unix", int64_t{0});
    info.revision = j.value("revision", int64_t{0});
    *next_id = j.value("next_id", int64_t{1});
    return info;
  }

  Status WriteInfo(const BankInfo& info, int64_t next_id) {
    nlohmann::json j = {{"threshold", info.threshold}, {"quality_floor", info.quality_floor},
                        {"dihedral", info.dihedral}, {"created_unix", info.created_unix},
                        {"next_id", next_id}, {"revision", info.revision}};
    const fs::path tmp = dir_ / info.name / "bank.json.tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << j.dump(2) << "\n";
      if (!out) return InternalError("cannot write " + tmp.string());
    }
    std::error_code ec;
    fs::rename(tmp, dir_ / info.name / "bank.json", ec);
    if (ec) return InternalError("cannot write bank.json of '" + info.name + "': " + ec.message());
    return Status::Ok();
  }

  fs::path dir_;
};

}  // namespace

Result<std::unique_ptr<BankStore>> OpenFileBankStore(const std::string& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec || !fs::is_directory(directory)) return InvalidArgumentError("cannot use bank directory " + directory);
  return std::unique_ptr<BankStore>(std::make_unique<FileBankStore>(directory));
}

}  // namespace vigil
