// Dataset loading: folder-per-class trees and path,label CSV files (see dataset.h).
#include "learn/dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace vigil {
namespace fs = std::filesystem;

namespace {

bool IsImageExtension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* kExts[] = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"};
  for (const char* e : kExts) {
    if (ext == e) return true;
  }
  return false;
}

Status CheckReadable(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c;
  if (!in || !in.get(c)) return DataLossError("cannot read image file '" + path + "'");
  return Status::Ok();
}

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n\"");
  size_t b = s.find_last_not_of(" \t\r\n\"");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// Builds a Dataset from (path, class name) pairs.
Result<Dataset> Build(std::vector<std::pair<std::string, std::string>> pairs,
                      const std::vector<std::string>& declared_classes, const std::string& source) {
  std::map<std::string, int> counts;
  for (const auto& c : declared_classes) counts[c] = 0;
  for (const auto& p : pairs) counts[p.second]++;
  Dataset d;
  for (const auto& [name, n] : counts) {
    if (n == 0) return InvalidArgumentError(source + ": class '" + name + "' has no images");
    d.classes.push_back(name);
  }
  if (d.classes.size() < 2) {
    return InvalidArgumentError(source + ": needs at least 2 classes, found " +
                                std::to_string(d.classes.size()));
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second < b.second : a.first < b.first;
  });
  for (const auto& p : pairs) {
    VIGIL_RETURN_IF_ERROR(CheckReadable(p.first));
    int label = static_cast<int>(std::lower_bound(d.classes.begin(), d.classes.end(), p.second) -
                                 d.classes.begin());
    d.items.push_back({p.first, label});
  }
  return d;
}

}  // namespace

std::vector<int> Dataset::ClassCounts() const {
  std::vector<int> counts(classes.size(), 0);
  for (const auto& item : items) counts[item.label]++;
  return counts;
}

Result<Dataset> LoadFolderDataset(const std::string& dir) try {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFoundError("dataset folder '" + dir + "' not found");
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<std::string> classes;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_directory()) continue;
    classes.push_back(name);
    for (const auto& f : fs::directory_iterator(entry.path(), ec)) {
      const std::string fname = f.path().filename().string();
      if (fname.empty() || fname[0] == '.' || !IsImageExtension(f.path())) continue;
      pairs.emplace_back(f.path().string(), name);
    }
  }
  if (ec) return DataLossError("cannot list '" + dir + "': " + ec.message());
  return Build(std::move(pairs), classes, dir);
} catch (const fs::filesystem_error& e) {
  return DataLossError("cannot list '" + dir + "': " + e.what());
}

Result<Dataset> LoadCsvDataset(const std::string& csv_path) {
  std::ifstream in(csv_path);
  if (!in) return NotFoundError("cannot open CSV '" + csv_path + "'");
  const fs::path base = fs::path(csv_path).parent_path();
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    size_t comma = t.rfind(',');
    if (comma == std::string::npos) {
      return InvalidArgumentError(csv_path + ":" + std::to_string(line_no) + ": expected 'path,label'");
    }
    std::string path = Trim(t.substr(0, comma)), label = Trim(t.substr(comma + 1));
    if (line_no == 1 && path == "path" && label == "label") continue;
    if (path.empty() || label.empty()) {
      return InvalidArgumentError(csv_path + ":" + std::to_string(line_no) + ": empty path or label");
    }
    fs::path p(path);
    if (p.is_relative()) p = base / p;
    pairs.emplace_back(p.string(), label);
  }
  return Build(std::move(pairs), {}, csv_path);
}

Result<Dataset> LoadDataset(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return LoadCsvDataset(path);
  return LoadFolderDataset(path);
}

Result<Dataset> RemapClasses(const Dataset& dataset, const std::vector<std::string>& classes) {
  Dataset out;
  out.classes = classes;
  for (const auto& item : dataset.items) {
    const std::string& name = dataset.classes[item.label];
    auto it = std::find(classes.begin(), classes.end(), name);
    if (it == classes.end()) return InvalidArgumentError("class '" + name + "' is not a training class");
    out.items.push_back({item.path, static_cast<int>(it - classes.begin())});
  }
  return out;
}

}  // namespace vigil
