// PdqMatcher: a snapshot of banks, each indexed by a PdqIndex, matched with the bank's threshold,
// quality floor and dihedral setting; results best first (distance, then bank, then entry id).
#include <algorithm>
#include <map>
#include <unordered_map>

#include "vigil/hash_bank.h"
#include "vigil/pdq_index.h"

namespace vigil {

struct PdqMatcher::Bank {
  BankInfo info;
  std::vector<BankEntry> entries;  // entries[i].id is indexed as i
  PdqIndex index;
  struct PerExternalId {
    size_t entries = 0;
    double start_s = -1, end_s = -1;  // span of the entries' time ranges
  };
  std::unordered_map<std::string, PerExternalId> per_external_id;
};

PdqMatcher::PdqMatcher() = default;
PdqMatcher::~PdqMatcher() = default;

Result<std::unique_ptr<PdqMatcher>> PdqMatcher::Create(BankStore& store, const std::vector<std::string>& banks,
                                                       const PdqMatcher* previous) {
  std::vector<BankInfo> infos;
  if (banks.empty()) {
    VIGIL_ASSIGN_OR_RETURN(infos, store.ListBanks());
  } else {
    for (const std::string& name : banks) {
      VIGIL_ASSIGN_OR_RETURN(BankInfo info, store.GetBank(name));
      infos.push_back(std::move(info));
    }
  }
  std::unique_ptr<PdqMatcher> matcher(new PdqMatcher());
  for (BankInfo& info : infos) {
    std::shared_ptr<const Bank> reuse;
    if (previous != nullptr && info.revision != 0) {
      for (const auto& old : previous->banks_) {
        if (old->info.name == info.name && old->info.revision == info.revision) reuse = old;
      }
    }
    if (reuse) {
      matcher->banks_.push_back(std::move(reuse));
      continue;
    }
    auto bank = std::make_shared<Bank>();
    bank->info = std::move(info);
    VIGIL_ASSIGN_OR_RETURN(bank->entries, store.ListEntries(bank->info.name));
    bank->info.entries = bank->entries.size();
    for (const BankEntry& e : bank->entries) {
      Bank::PerExternalId& p = bank->per_external_id[e.external_id];
      ++p.entries;
      if (e.start_s >= 0) {
        p.start_s = p.start_s < 0 ? e.start_s : std::min(p.start_s, e.start_s);
        p.end_s = std::max(p.end_s, e.end_s);
      }
    }
    bank->index.Reserve(bank->entries.size());
    for (size_t i = 0; i < bank->entries.size(); ++i) bank->index.Add(static_cast<int64_t>(i), bank->entries[i].hash);
    bank->index.Compact();
    matcher->banks_.push_back(std::move(bank));
  }
  return matcher;
}

std::vector<BankInfo> PdqMatcher::banks() const {
  std::vector<BankInfo> out;
  for (const auto& b : banks_) out.push_back(b->info);
  return out;
}

size_t PdqMatcher::CountEntries(const std::string& bank, const std::string& external_id) const {
  for (const auto& b : banks_) {
    if (b->info.name != bank) continue;
    auto it = b->per_external_id.find(external_id);
    return it == b->per_external_id.end() ? 0 : it->second.entries;
  }
  return 0;
}

std::pair<double, double> PdqMatcher::EntrySpan(const std::string& bank, const std::string& external_id) const {
  for (const auto& b : banks_) {
    if (b->info.name != bank) continue;
    auto it = b->per_external_id.find(external_id);
    if (it != b->per_external_id.end()) return {it->second.start_s, it->second.end_s};
  }
  return {-1, -1};
}

size_t PdqMatcher::entries() const {
  size_t n = 0;
  for (const auto& b : banks_) n += b->entries.size();
  return n;
}

std::vector<BankMatch> PdqMatcher::Match(const PdqResult& query) const {
  std::vector<BankMatch> out;
  for (const auto& bank : banks_) {
    if (query.quality < bank->info.quality_floor) continue;
    for (const PdqIndex::Hit& hit : bank->index.Search(query.hash, bank->info.threshold)) {
      out.push_back(BankMatch{bank->info.name, bank->entries[hit.id], hit.distance, PdqDihedral::kOriginal});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const BankMatch& a, const BankMatch& b) {
    return a.distance != b.distance ? a.distance < b.distance
           : a.bank != b.bank       ? a.bank < b.bank
                                    : a.entry.id < b.entry.id;
  });
  return out;
}

std::vector<BankMatch> PdqMatcher::Match(const PdqDihedralResult& query) const {
  std::vector<BankMatch> out;
  for (const auto& bank : banks_) {
    if (query.quality < bank->info.quality_floor) continue;
    const int transforms = bank->info.dihedral ? kPdqDihedralCount : 1;
    std::map<int64_t, BankMatch> best;  // per entry, the closest transform
    for (int d = 0; d < transforms; ++d) {
      for (const PdqIndex::Hit& hit : bank->index.Search(query.hashes[d], bank->info.threshold)) {
        auto it = best.find(hit.id);
        if (it == best.end() || hit.distance < it->second.distance) {
          best[hit.id] = BankMatch{bank->info.name, bank->entries[hit.id], hit.distance, static_cast<PdqDihedral>(d)};
        }
      }
    }
    for (auto& [id, m] : best) out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(), [](const BankMatch& a, const BankMatch& b) {
    return a.distance != b.distance ? a.distance < b.distance
           : a.bank != b.bank       ? a.bank < b.bank
                                    : a.entry.id < b.entry.id;
  });
  return out;
}

}  // namespace vigil
