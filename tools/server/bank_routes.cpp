// Hashing and hash-bank routes (see bank_routes.h). Hashing an upload runs on the HTTP thread: a
// PDQ hash costs one (DCT-scaled) decode and a few milliseconds, less than handing it to a queue.
#include "bank_routes.h"

#include <nlohmann/json.hpp>

#include "request_params.h"
#include "vigil/hashing.h"

namespace vigil::server {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json BankJson(const BankInfo& b) {
  return {{"name", b.name},           {"threshold", b.threshold},       {"quality_floor", b.quality_floor},
          {"dihedral", b.dihedral},   {"created_unix", b.created_unix}, {"entries", b.entries}};
}

json EntryJson(const BankEntry& e) {
  json j = {{"id", e.id},         {"hash", e.hash.ToHex()},   {"external_id", e.external_id},
            {"category", e.category}, {"source", e.source}, {"added_unix", e.added_unix}};
  if (e.start_s >= 0) j["time_range"] = {e.start_s, e.end_s};
  return j;
}

bool IsImageContentType(const std::string& type) {
  return type.rfind("image/", 0) == 0 || type.rfind("application/octet-stream", 0) == 0;
}

// A text field of a request: at most 256 bytes, no control characters.
Status CheckText(const std::string& what, const std::string& text) {
  if (text.size() > 256) return InvalidArgumentError(what + " is longer than 256 bytes");
  if (HasControlCharacter(text)) return InvalidArgumentError(what + " has a control character");
  return Status::Ok();
}

class BankRoutes {
 public:
  BankRoutes(const ServerConfig& config, BankMatcher* banks) : config_(config), banks_(banks) {}

  // The dihedral hashes of the image body, or an error already sent.
  bool HashBody(const httplib::Request& req, httplib::Response& res, PdqDihedralResult* out) {
    const std::string type = req.get_header_value("Content-Type");
    if (!IsImageContentType(type)) {
      SendError(res, 415, "unsupported_media_type",
                "Content-Type must be image/* or application/octet-stream, got \"" + type + "\"");
      return false;
    }
    if (req.body.empty()) {
      SendError(res, 400, "invalid_argument", "the request body is empty: send the image bytes");
      return false;
    }
    PdqOptions options;
    options.limits = config_.service.common.decode;
    Result<PdqDihedralResult> hashed =
        HashBytesDihedral(reinterpret_cast<const uint8_t*>(req.body.data()), req.body.size(), options);
    if (!hashed.ok()) {
      SendStatus(res, hashed.status(), config_.retry_after_seconds);
      return false;
    }
    *out = *hashed;
    return true;
  }

  bool Enabled(httplib::Response& res) {
    if (banks_ != nullptr) return true;
    SendError(res, 503, "unavailable", "hash banks are disabled (banks.enabled: false)", config_.retry_after_seconds);
    return false;
  }

  void Hash(const httplib::Request& req, httplib::Response& res) {
    if (Status s = CheckQueryParams(req, {}); !s.ok()) return SendStatus(res, s, 0);
    PdqDihedralResult h;
    if (!HashBody(req, res, &h)) return;
    json dihedral = json::object();
    for (int d = 0; d < kPdqDihedralCount; ++d) {
      dihedral[PdqDihedralName(static_cast<PdqDihedral>(d))] = h.hashes[d].ToHex();
    }
    SendJson(res, 200, Dump({{"hash", h.hashes[0].ToHex()}, {"quality", h.quality}, {"dihedral", dihedral}}));
  }

  void Match(const httplib::Request& req, httplib::Response& res) {
    if (!Enabled(res)) return;
    if (Status s = CheckQueryParams(req, {"bank"}); !s.ok()) return SendStatus(res, s, 0);
    std::vector<std::string> only;
    if (req.has_param("bank")) {
      BankInfo probe;
      probe.name = req.get_param_value("bank");
      if (Status s = ValidateBankInfo(probe); !s.ok()) return SendStatus(res, s, 0);
      const auto snapshot = banks_->Current();
      bool known = false;
      for (const BankInfo& b : snapshot->banks()) known = known || b.name == probe.name;
      if (!known) return SendError(res, 404, "not_found", "no bank '" + probe.name + "'");
      only.push_back(probe.name);
    }
    PdqDihedralResult h;
    if (!HashBody(req, res, &h)) return;
    json matches = json::array();
    for (const BankMatch& m : banks_->Match(h, only)) {
      matches.push_back({{"bank", m.bank}, {"entry", EntryJson(m.entry)}, {"distance", m.distance},
                         {"transform", PdqDihedralName(m.transform)}});
    }
    SendJson(res, 200, Dump({{"hash", h.hashes[0].ToHex()}, {"quality", h.quality}, {"matches", matches}}));
  }

  void List(httplib::Response& res) {
    if (!Enabled(res)) return;
    Result<std::vector<BankInfo>> banks = banks_->store().ListBanks();
    if (!banks.ok()) return SendStatus(res, banks.status(), config_.retry_after_seconds);
    json list = json::array();
    for (const BankInfo& b : *banks) list.push_back(BankJson(b));
    SendJson(res, 200, Dump({{"banks", list}}));
  }

  void Create(const httplib::Request& req, httplib::Response& res) {
    if (!Enabled(res)) return;
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      return SendError(res, 400, "invalid_argument", "the body must be a JSON object {\"name\": ...}");
    }
    BankInfo info;
    for (const auto& [key, value] : body.items()) {
      if (key == "name" && value.is_string()) {
        info.name = value.get<std::string>();
      } else if (key == "threshold" && value.is_number_integer()) {
        info.threshold = value.get<int>();
      } else if (key == "quality_floor" && value.is_number_integer()) {
        info.quality_floor = value.get<int>();
      } else if (key == "dihedral" && value.is_boolean()) {
        info.dihedral = value.get<bool>();
      } else {
        return SendError(res, 400, "invalid_argument",
                         "unknown or mistyped field \"" + key +
                             "\" (name: string, threshold: 0..64, quality_floor: 0..100, dihedral: bool)");
      }
    }
    if (Status s = banks_->store().CreateBank(info); !s.ok()) return SendStatus(res, s, 0);
    if (Status s = banks_->Refresh(); !s.ok()) return SendStatus(res, s, config_.retry_after_seconds);
    Result<BankInfo> created = banks_->store().GetBank(info.name);
    if (!created.ok()) return SendStatus(res, created.status(), config_.retry_after_seconds);
    SendJson(res, 201, Dump(BankJson(*created)));
  }

  void Delete(httplib::Response& res, const std::string& name) {
    if (!Enabled(res)) return;
    if (Status s = banks_->store().DeleteBank(name); !s.ok()) return SendStatus(res, s, 0);
    if (Status s = banks_->Refresh(); !s.ok()) return SendStatus(res, s, config_.retry_after_seconds);
    SendJson(res, 200, Dump({{"deleted", name}}));
  }

  void AddEntries(const httplib::Request& req, httplib::Response& res, const std::string& bank) {
    if (!Enabled(res)) return;
    std::vector<BankEntry> entries;
    const std::string type = req.get_header_value("Content-Type");
    if (type.rfind("application/json", 0) == 0) {
      if (Status s = CheckQueryParams(req, {}); !s.ok()) return SendStatus(res, s, 0);
      json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded() || !body.is_object() || !body.contains("entries") || !body["entries"].is_array()) {
        return SendError(res, 400, "invalid_argument", "the body must be {\"entries\": [{\"hash\": ...}, ...]}");
      }
      for (const json& item : body["entries"]) {
        if (!item.is_object() || !item.contains("hash") || !item["hash"].is_string()) {
          return SendError(res, 400, "invalid_argument", "every entry needs \"hash\": 64 hex digits");
        }
        Result<PdqHash> hash = PdqHash::FromHex(item["hash"].get<std::string>());
        if (!hash.ok()) return SendStatus(res, hash.status(), 0);
        BankEntry e;
        e.hash = *hash;
        for (const char* field : {"external_id", "category", "source"}) {
          if (!item.contains(field)) continue;
          if (!item[field].is_string()) {
            return SendError(res, 400, "invalid_argument", std::string("\"") + field + "\" must be a string");
          }
          std::string value = item[field].get<std::string>();
          if (Status s = CheckText(field, value); !s.ok()) return SendStatus(res, s, 0);
          (field[0] == 'e' ? e.external_id : field[0] == 'c' ? e.category : e.source) = std::move(value);
        }
        for (const auto& [key, value] : item.items()) {
          if (key != "hash" && key != "external_id" && key != "category" && key != "source") {
            return SendError(res, 400, "invalid_argument", "unknown entry field \"" + key + "\"");
          }
        }
        entries.push_back(std::move(e));
      }
      if (entries.empty()) return SendError(res, 400, "invalid_argument", "no entries");
      if (entries.size() > 100000) {
        return SendError(res, 413, "resource_exhausted", "at most 100000 entries per request");
      }
    } else {
      if (Status s = CheckQueryParams(req, {"external_id", "category", "source"}); !s.ok()) {
        return SendStatus(res, s, 0);
      }
      PdqDihedralResult h;
      if (!HashBody(req, res, &h)) return;
      BankEntry e;
      e.hash = h.hashes[0];
      e.external_id = req.get_param_value("external_id");
      e.category = req.get_param_value("category");
      e.source = req.has_param("source") ? req.get_param_value("source") : "upload";
      for (const auto& [what, value] : {std::make_pair("external_id", e.external_id),
                                        std::make_pair("category", e.category), std::make_pair("source", e.source)}) {
        if (Status s = CheckText(what, value); !s.ok()) return SendStatus(res, s, 0);
      }
      entries.push_back(std::move(e));
    }
    Result<std::vector<int64_t>> ids = banks_->store().AddEntries(bank, std::move(entries));
    if (!ids.ok()) return SendStatus(res, ids.status(), config_.retry_after_seconds);
    if (Status s = banks_->Refresh(); !s.ok()) return SendStatus(res, s, config_.retry_after_seconds);
    SendJson(res, 201, Dump({{"bank", bank}, {"ids", *ids}}));
  }

  void RemoveEntry(httplib::Response& res, const std::string& bank, const std::string& id_text) {
    if (!Enabled(res)) return;
    char* end = nullptr;
    const long long id = std::strtoll(id_text.c_str(), &end, 10);
    if (id_text.empty() || end == id_text.c_str() || *end != '\0' || id <= 0) {
      return SendError(res, 400, "invalid_argument", "entry id must be a positive integer");
    }
    Result<size_t> removed = banks_->store().RemoveEntries(bank, {id});
    if (!removed.ok()) return SendStatus(res, removed.status(), config_.retry_after_seconds);
    if (*removed == 0) return SendError(res, 404, "not_found", "bank '" + bank + "' has no entry " + id_text);
    if (Status s = banks_->Refresh(); !s.ok()) return SendStatus(res, s, config_.retry_after_seconds);
    SendJson(res, 200, Dump({{"bank", bank}, {"removed", id}}));
  }

 private:
  const ServerConfig config_;
  BankMatcher* banks_;
};

}  // namespace

Status RegisterBankRoutes(Router& router, const ServerConfig& config, BankMatcher* banks) {
  auto r = std::make_shared<BankRoutes>(config, banks);
  VIGIL_RETURN_IF_ERROR(router.Add({Method::kPost, "/v1/images:hash", Access::kRead,
                                    [r](const httplib::Request& req, httplib::Response& res, RouteContext&) {
                                      r->Hash(req, res);
                                    }}));
  VIGIL_RETURN_IF_ERROR(router.Add({Method::kPost, "/v1/images:match", Access::kRead,
                                    [r](const httplib::Request& req, httplib::Response& res, RouteContext&) {
                                      r->Match(req, res);
                                    }}));
  VIGIL_RETURN_IF_ERROR(router.Add({Method::kGet, "/v1/banks", Access::kRead,
                                    [r](const httplib::Request&, httplib::Response& res, RouteContext&) {
                                      r->List(res);
                                    }}));
  VIGIL_RETURN_IF_ERROR(router.Add({Method::kPost, "/v1/banks", Access::kAdmin,
                                    [r](const httplib::Request& req, httplib::Response& res, RouteContext&) {
                                      r->Create(req, res);
                                    }}));
  VIGIL_RETURN_IF_ERROR(router.Add({Method::kDelete, "/v1/banks/{bank}", Access::kAdmin,
                                    [r](const httplib::Request&, httplib::Response& res, RouteContext& ctx) {
                                      r->Delete(res, ctx.params[0]);
                                    }}));
  VIGIL_RETURN_IF_ERROR(router.Add({Method::kPost, "/v1/banks/{bank}/entries", Access::kAdmin,
                                    [r](const httplib::Request& req, httplib::Response& res, RouteContext& ctx) {
                                      r->AddEntries(req, res, ctx.params[0]);
                                    }}));
  return router.Add({Method::kDelete, "/v1/banks/{bank}/entries/{id}", Access::kAdmin,
                     [r](const httplib::Request&, httplib::Response& res, RouteContext& ctx) {
                       r->RemoveEntry(res, ctx.params[0], ctx.params[1]);
                     }});
}

}  // namespace vigil::server
