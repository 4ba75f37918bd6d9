// PdqMatcher: a snapshot of banks, each indexed by a PdqIndex, matched with the bank's threshold,
// quality floor and dihedral setting; results best first (distance, then bank, then entry id).
#include <algorithm>
#include <map>

#include "vigil/hash_bank.h"
#include "vigil/pdq_index.h"

namespace vigil {

struct PdqMatcher::Bank {
  BankInfo info;
  std::vector<BankEntry> entries;  // entries[i].id is indexed as i
  PdqIndex index;
};

PdqMatcher::PdqMatcher() = default;
PdqMatcher::~PdqMatcher() = default;

Result<std::unique_ptr<PdqMatcher>> PdqMatcher::Create(BankStore& store, const std::vector<std::string>& banks) {
  std::vector<std::string> names = banks;
  if (names.empty()) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<BankInfo> all, store.ListBanks());
    for (const BankInfo& b : all) names.push_back(b.name);
  }
  std::unique_ptr<PdqMatcher> matcher(new PdqMatcher());
  for (const std::string& name : names) {
    auto bank = std::make_unique<Bank>();
    VIGIL_ASSIGN_OR_RETURN(bank->info, store.GetBank(name));
    VIGIL_ASSIGN_OR_RETURN(bank->entries, store.ListEntries(name));
    bank->index.Reserve(bank->entries.size());
    for (size_t i = 0; i < bank->entries.size(); ++i) bank->index.Add(static_cast<int64_t>(i), bank->entries[i].hash);
    bank->index.Compact();
    matcher->banks_.push_back(std::move(bank));
  }
  return matcher;
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
