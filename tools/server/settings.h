// The settings table of `vigil serve`: every vigil.yaml key declared once (section, name, type,
// range, doc, and where it lives in ServerConfig, whose fields hold the defaults). Loading,
// unknown-key errors in every section (with the nearest known key), range validation and the
// configuration table of docs/http-api.md (`vigil serve --print-config-docs`) all come from it.
//
//   ServerConfig config;                                     // the defaults
//   VIGIL_RETURN_IF_ERROR(LoadServerConfigFile("vigil.yaml", &config));   // uses the table
//   for (const SettingInfo& s : ServerSettings()) std::printf("%s\n", s.key.c_str());
//
// Thread-safety: the table is immutable; every function is thread-safe.
#pragma once

#include <string>
#include <vector>

#include "server_config.h"
#include "vigil/status.h"

namespace vigil::server {

// One vigil.yaml key as documented.
struct SettingInfo {
  std::string section;       // "" = top level, else models, inference, limits, jobs, callbacks, moderation
  std::string name;          // key within the section
  std::string key;           // "section.name" (or "name" at the top level)
  std::string type;          // bool, integer, number, string, list of strings, list of keys
  std::string default_text;  // the default, as YAML
  std::string range;         // "1..64", "[0, 1]", "" when any value of the type is valid
  std::string doc;
};

// Every key, in documentation order (top level first, then section by section).
std::vector<SettingInfo> ServerSettings();
// The sections (mappings under the top level), in documentation order.
std::vector<std::string> ServerSettingSections();

// Reads the keys of a parsed vigil.yaml (a YAML text) over `config`. `origin` names the file in
// errors. An unknown key in any section is kInvalidArgument naming the key and its section, with
// the nearest known key when one is close; a value of the wrong type names the key and the type.
Status LoadServerSettingsYaml(const std::string& yaml_text, const std::string& origin, ServerConfig* config);

// Checks every numeric key against its range ("jobs.workers must be in 1..64").
Status ValidateServerSettings(const ServerConfig& config);

// The configuration table of docs/http-api.md (Markdown), from the table and the defaults.
std::string ServerSettingsMarkdown();

// The closest of `candidates` to `word` by edit distance, or "" when none is close (at most 2
// edits, or a third of the word for longer ones).
std::string NearestKey(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace vigil::server
