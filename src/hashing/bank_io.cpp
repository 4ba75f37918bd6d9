// Bank import and export in the formats industry hash lists use: one hex hash per line, or CSV with
// the hash first and then the list's id, category and (optionally) source. A header line (a first
// field that is not 64 hex digits, on the first line) and # comments are skipped.
#include <sstream>

#include "vigil/hash_bank.h"

namespace vigil {
namespace {

std::string Trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\"");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" \t\r\"");
  return s.substr(a, b - a + 1);
}

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(Trim(field));
  return fields;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c == '\n' ? ' ' : c);
  return out + "\"";
}

}  // namespace

Result<std::vector<int64_t>> ImportBankEntries(BankStore& store, const std::string& bank,
                                               const std::string& text, BankFormat format,
                                               const std::string& source) {
  std::vector<BankEntry> entries;
  std::istringstream in(text);
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    BankEntry e;
    e.source = source;
    if (format == BankFormat::kHexLines) {
      Result<PdqHash> h = PdqHash::FromHex(trimmed);
      if (!h.ok()) return InvalidArgumentError("line " + std::to_string(number) + ": " + h.status().message());
      e.hash = *h;
    } else {
      const std::vector<std::string> f = SplitCsv(line);
      Result<PdqHash> h = f.empty() ? Result<PdqHash>(InvalidArgumentError("empty")) : PdqHash::FromHex(f[0]);
      if (!h.ok()) {
        if (entries.empty() && number == 1) continue;  // a header
        return InvalidArgumentError("line " + std::to_string(number) + ": the first field is not a PDQ hash");
      }
      e.hash = *h;
      if (f.size() > 1) e.external_id = f[1];
      if (f.size() > 2) e.category = f[2];
      if (f.size() > 3 && !f[3].empty()) e.source = f[3];
    }
    entries.push_back(std::move(e));
  }
  return store.AddEntries(bank, std::move(entries));
}

Result<std::string> ExportBankEntries(BankStore& store, const std::string& bank, BankFormat format) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<BankEntry> entries, store.ListEntries(bank));
  std::string out;
  if (format == BankFormat::kCsv) out += "hash,id,category,source,added_unix\n";
  for (const BankEntry& e : entries) {
    out += e.hash.ToHex();
    if (format == BankFormat::kCsv) {
      out += "," + CsvField(e.external_id) + "," + CsvField(e.category) + "," + CsvField(e.source) + "," +
             std::to_string(e.added_unix);
    }
    out += "\n";
  }
  return out;
}

}  // namespace vigil
