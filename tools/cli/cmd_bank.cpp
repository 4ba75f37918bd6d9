// `vigil bank create|delete|add|remove|import|export|list|match`: PDQ hash banks (include/vigil/
// hash_bank.h), kept in Vigil's database (--store: an SQLite file or a postgresql:// URL; default
// $VIGIL_DATABASE, else .vigil/vigil.db, the database `vigil serve` uses), or in a directory of
// plain files with --banks DIR (or $VIGIL_BANKS). `add` takes hex hashes or
// image files (hashed); `match` hashes images (with their dihedral hashes) and prints every bank
// entry within the bank's threshold: text `path,bank,entry_id,external_id,category,distance,transform`
// or --json one object per image. Videos (by extension) are hashed per sampled frame
// (include/vigil/video_hash.h): `add` stores one entry per kept frame with its time range, `match`
// prints per matched known video `path,bank,external_id,category,query_share,original_share,
// best_distance,query_ranges,original_ranges` (ranges `start-end` joined by ';').
// Exit 0 when every input was processed (match or not).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_common.h"
#include "commands.h"
#include "vigil/hash_bank.h"
#include "vigil/hashing.h"
#include "vigil/video_hash.h"

namespace vigil::cli {
namespace {

struct BankArgs {
  std::string banks_dir;
  std::string database;
  std::string name;
  std::vector<std::string> items;  // hashes, files, ids, or paths, per subcommand
  int threshold = kPdqMatchDistance;
  int quality_floor = kPdqQualityFloor;
  bool dihedral = false;
  std::string external_id, category, source;
  std::string format = "csv";
  std::vector<std::string> only_banks;
  bool json = false;
  VideoHashOptions video;      // match: queries sampled once a second
  VideoHashOptions add_video;  // add: every frame of a known video (deduplicated)
  double min_share = 0;
};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// --store, else --banks, else $VIGIL_DATABASE, else $VIGIL_BANKS, else .vigil/vigil.db.
Result<std::unique_ptr<BankStore>> OpenStore(const BankArgs& args) {
  if (!args.database.empty() && !args.banks_dir.empty()) {
    return InvalidArgumentError("give --store or --banks, not both");
  }
  if (!args.database.empty()) return OpenBankStore(args.database);
  if (!args.banks_dir.empty()) return OpenFileBankStore(args.banks_dir);
  if (!Env("VIGIL_DATABASE").empty()) return OpenBankStore(Env("VIGIL_DATABASE"));
  if (!Env("VIGIL_BANKS").empty()) return OpenFileBankStore(Env("VIGIL_BANKS"));
  return OpenBankStore(".vigil/vigil.db");
}

Result<BankFormat> Format(const std::string& f) {
  if (f == "csv") return BankFormat::kCsv;
  if (f == "hex") return BankFormat::kHexLines;
  return InvalidArgumentError("--format must be csv or hex");
}

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitError;
}

std::string ReadAll(std::istream& in) { return std::string(std::istreambuf_iterator<char>(in), {}); }

std::string Ranges(const std::vector<TimeRange>& ranges) {
  std::string out;
  char buf[64];
  for (const TimeRange& r : ranges) {
    std::snprintf(buf, sizeof(buf), "%s%.3f-%.3f", out.empty() ? "" : ";", r.start_s, r.end_s);
    out += buf;
  }
  return out;
}

nlohmann::json RangesJson(const std::vector<TimeRange>& ranges) {
  nlohmann::json out = nlohmann::json::array();
  for (const TimeRange& r : ranges) out.push_back({r.start_s, r.end_s});
  return out;
}

Status MatchOneVideo(const PdqMatcher& matcher, const BankArgs& args, const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(VideoHash video, HashVideoFile(path, args.video));
  VideoMatchOptions options;
  options.min_query_share = args.min_share;
  options.min_original_share = args.min_share;
  const std::vector<VideoMatch> matches = MatchVideo(matcher, video, options);
  if (args.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const VideoMatch& m : matches) {
      list.push_back({{"bank", m.bank}, {"external_id", m.external_id}, {"category", m.category},
                      {"source", m.source}, {"query_share", m.query_share}, {"original_share", m.original_share},
                      {"best_distance", m.best_distance}, {"matched_hashes", m.matched_hashes},
                      {"query_ranges", RangesJson(m.query_ranges)}, {"original_ranges", RangesJson(m.original_ranges)}});
    }
    nlohmann::json j = {{"path", path}, {"video", true}, {"duration_s", video.info.duration_s},
                        {"hashes", video.frames.size()}, {"matches", list}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    for (const VideoMatch& m : matches) {
      std::printf("%s,%s,%s,%s,%.3f,%.3f,%d,%s,%s\n", path.c_str(), m.bank.c_str(), m.external_id.c_str(),
                  m.category.c_str(), m.query_share, m.original_share, m.best_distance, Ranges(m.query_ranges).c_str(),
                  Ranges(m.original_ranges).c_str());
    }
  }
  std::fflush(stdout);
  return Status::Ok();
}

int Run(const std::string& verb, const BankArgs& args) {
  Result<std::unique_ptr<BankStore>> opened = OpenStore(args);
  if (!opened.ok()) return Fail(opened.status());
  BankStore& store = **opened;
  if (verb == "create") {
    BankInfo info;
    info.name = args.name;
    info.threshold = args.threshold;
    info.quality_floor = args.quality_floor;
    info.dihedral = args.dihedral;
    if (Status s = store.CreateBank(info); !s.ok()) return Fail(s);
    return kExitOk;
  }
  if (verb == "delete") {
    if (Status s = store.DeleteBank(args.name); !s.ok()) return Fail(s);
    return kExitOk;
  }
  if (verb == "list") {
    if (args.name.empty()) {
      Result<std::vector<BankInfo>> banks = store.ListBanks();
      if (!banks.ok()) return Fail(banks.status());
      for (const BankInfo& b : *banks) {
        std::printf("%s\tentries=%zu\tthreshold=%d\tquality_floor=%d\tdihedral=%s\n", b.name.c_str(), b.entries,
                    b.threshold, b.quality_floor, b.dihedral ? "yes" : "no");
      }
      return kExitOk;
    }
    Result<std::vector<BankEntry>> entries = store.ListEntries(args.name);
    if (!entries.ok()) return Fail(entries.status());
    for (const BankEntry& e : *entries) {
      std::printf("%lld,%s,%s,%s,%s,%lld\n", static_cast<long long>(e.id), e.hash.ToHex().c_str(),
                  e.external_id.c_str(), e.category.c_str(), e.source.c_str(), static_cast<long long>(e.added_unix));
    }
    return kExitOk;
  }
  if (verb == "add") {
    std::vector<BankEntry> entries;
    for (const std::string& item : args.items) {
      if (LooksLikeVideoPath(item)) {
        Result<VideoHash> video = HashVideoFile(item, args.add_video);
        if (!video.ok()) return Fail(video.status().WithContext(item));
        const std::vector<BankEntry> frames = VideoBankEntries(
            *video, args.external_id.empty() ? item : args.external_id, args.category,
            args.source.empty() ? item : args.source);
        entries.insert(entries.end(), frames.begin(), frames.end());
        continue;
      }
      BankEntry e;
      e.external_id = args.external_id;
      e.category = args.category;
      e.source = args.source;
      Result<PdqHash> hex = PdqHash::FromHex(item);
      if (hex.ok()) {
        e.hash = *hex;
      } else {
        Result<PdqResult> hashed = HashFile(item);
        if (!hashed.ok()) return Fail(hashed.status().WithContext(item + " is neither a PDQ hash nor a readable image"));
        e.hash = hashed->hash;
        if (e.source.empty()) e.source = item;
      }
      entries.push_back(std::move(e));
    }
    Result<std::vector<int64_t>> ids = store.AddEntries(args.name, std::move(entries));
    if (!ids.ok()) return Fail(ids.status());
    for (int64_t id : *ids) std::printf("%lld\n", static_cast<long long>(id));
    return kExitOk;
  }
  if (verb == "remove") {
    std::vector<int64_t> ids;
    for (const std::string& item : args.items) {
      char* end = nullptr;
      const long long id = std::strtoll(item.c_str(), &end, 10);
      if (end == item.c_str() || *end != '\0') return Fail(InvalidArgumentError("not an entry id: " + item));
      ids.push_back(id);
    }
    Result<size_t> removed = store.RemoveEntries(args.name, ids);
    if (!removed.ok()) return Fail(removed.status());
    std::printf("removed %zu\n", *removed);
    return *removed == ids.size() ? kExitOk : kExitSomeInputsFailed;
  }
  if (verb == "import") {
    Result<BankFormat> format = Format(args.format);
    if (!format.ok()) return Fail(format.status());
    int64_t total = 0;
    for (const std::string& file : args.items) {
      std::string text;
      if (file == "-") {
        text = ReadAll(std::cin);
      } else {
        std::ifstream in(file);
        if (!in) return Fail(NotFoundError("cannot read " + file));
        text = ReadAll(in);
      }
      Result<std::vector<int64_t>> ids =
          ImportBankEntries(store, args.name, text, *format, args.source.empty() ? file : args.source);
      if (!ids.ok()) return Fail(ids.status().WithContext(file));
      total += static_cast<int64_t>(ids->size());
    }
    std::fprintf(stderr, "imported %lld entries into %s\n", static_cast<long long>(total), args.name.c_str());
    return kExitOk;
  }
  if (verb == "export") {
    Result<BankFormat> format = Format(args.format);
    if (!format.ok()) return Fail(format.status());
    Result<std::string> text = ExportBankEntries(store, args.name, *format);
    if (!text.ok()) return Fail(text.status());
    std::fwrite(text->data(), 1, text->size(), stdout);
    return kExitOk;
  }
  if (verb == "match") {
    Result<std::unique_ptr<PdqMatcher>> matcher = PdqMatcher::Create(store, args.only_banks);
    if (!matcher.ok()) return Fail(matcher.status());
    size_t failed = 0;
    for (const std::string& path : CollectMediaPaths(args.items)) {
      if (LooksLikeVideoPath(path)) {
        if (Status s = MatchOneVideo(**matcher, args, path); !s.ok()) {
          ++failed;
          std::fprintf(stderr, "%s: error: %s\n", path.c_str(), s.ToString().c_str());
        }
        continue;
      }
      Result<PdqDihedralResult> hashed = HashFileDihedral(path);
      if (!hashed.ok()) {
        ++failed;
        std::fprintf(stderr, "%s: error: %s\n", path.c_str(), hashed.status().ToString().c_str());
        continue;
      }
      const std::vector<BankMatch> matches = (*matcher)->Match(*hashed);
      if (args.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const BankMatch& m : matches) {
          list.push_back({{"bank", m.bank}, {"entry_id", m.entry.id}, {"external_id", m.entry.external_id},
                          {"category", m.entry.category}, {"source", m.entry.source},
                          {"hash", m.entry.hash.ToHex()}, {"distance", m.distance},
                          {"transform", PdqDihedralName(m.transform)}});
        }
        nlohmann::json j = {{"path", path}, {"hash", hashed->hashes[0].ToHex()}, {"quality", hashed->quality},
                            {"matches", list}};
        std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      } else {
        for (const BankMatch& m : matches) {
          std::printf("%s,%s,%lld,%s,%s,%d,%s\n", path.c_str(), m.bank.c_str(), static_cast<long long>(m.entry.id),
                      m.entry.external_id.c_str(), m.entry.category.c_str(), m.distance, PdqDihedralName(m.transform));
        }
      }
      std::fflush(stdout);
    }
    return failed ? kExitSomeInputsFailed : kExitOk;
  }
  return kExitUsage;
}

}  // namespace

void AddBankCommand(CLI::App& app) {
  auto args = std::make_shared<BankArgs>();
  CLI::App* bank = app.add_subcommand("bank", "PDQ hash banks: lists of known hashes to match uploads against");
  bank->require_subcommand(1);
  bank->add_option("--store", args->database,
                   "Database of the banks: an SQLite file or a postgresql:// URL (default $VIGIL_DATABASE, "
                   "else .vigil/vigil.db)");
  bank->add_option("--banks", args->banks_dir, "Keep the banks in this directory of plain files instead ($VIGIL_BANKS)");
  auto verb = [&](const char* name, const char* help) {
    CLI::App* cmd = bank->add_subcommand(name, help);
    cmd->callback([args, name]() { throw CommandResult{Run(name, *args)}; });
    return cmd;
  };
  CLI::App* create = verb("create", "Create a bank");
  create->add_option("name", args->name, "Bank name")->required();
  create->add_option("--threshold", args->threshold, "Match at Hamming distance <= this")
      ->check(CLI::Range(0, 64))->capture_default_str();
  create->add_option("--quality-floor", args->quality_floor, "Do not match queries of lower quality")
      ->check(CLI::Range(0, 100))->capture_default_str();
  create->add_flag("--dihedral", args->dihedral, "Also match rotated and flipped copies");
  verb("delete", "Delete a bank and its entries")->add_option("name", args->name, "Bank name")->required();
  verb("list", "List banks, or the entries of one (id,hash,external_id,category,source,added_unix)")
      ->add_option("name", args->name, "Bank name");
  CLI::App* add = verb("add", "Add hex hashes or images (hashed) to a bank; prints the new entry ids");
  add->add_option("name", args->name, "Bank name")->required();
  add->add_option("items", args->items, "64-digit hex hashes, image files, or videos (one entry per kept frame)")
      ->required();
  args->add_video.interval_s = 0;
  AddVideoHashOptions(add, &args->add_video);
  add->add_option("--id", args->external_id, "The list's id for these entries (videos: default the path)");
  add->add_option("--category", args->category, "Category of these entries");
  add->add_option("--source", args->source, "Where they come from (default: the image path)");
  CLI::App* remove = verb("remove", "Remove entries by id");
  remove->add_option("name", args->name, "Bank name")->required();
  remove->add_option("ids", args->items, "Entry ids")->required();
  CLI::App* import = verb("import", "Import a hash list: csv (hash,id,category[,source]) or hex (one per line)");
  import->add_option("name", args->name, "Bank name")->required();
  import->add_option("files", args->items, "Files ('-' = stdin)")->required();
  import->add_option("--format", args->format, "csv or hex")->capture_default_str();
  import->add_option("--source", args->source, "Source recorded per entry (default: the file name)");
  CLI::App* export_cmd = verb("export", "Export a bank: csv (hash,id,category,source,added_unix) or hex");
  export_cmd->add_option("name", args->name, "Bank name")->required();
  export_cmd->add_option("--format", args->format, "csv or hex")->capture_default_str();
  CLI::App* match = verb("match", "Hash images and print the bank entries they match");
  match->add_option("paths", args->items, "Image or video files, or directories")->required();
  AddVideoHashOptions(match, &args->video);
  match->add_option("--min-share", args->min_share,
                    "Videos: report a known video only when this share of the query's or of its frames matched")
      ->check(CLI::Range(0.0, 1.0));
  match->add_option("--bank", args->only_banks, "Only these banks (default: all)");
  match->add_flag("--json", args->json, "One JSON object per image");
}

}  // namespace vigil::cli
