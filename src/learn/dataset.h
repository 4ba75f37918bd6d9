// Dataset: labelled image lists for training heads, loaded from a folder-per-class tree
// (<dir>/<class>/*.jpg) or a CSV file of "path,label" lines (paths relative to the CSV's folder).
// Class names are sorted; a label is the index into `classes`.
// Thread-safety: value types and free functions without shared state.
#pragma once

#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct LabelledImage {
  std::string path;
  int label = 0;
};

struct Dataset {
  std::vector<std::string> classes;  // sorted
  std::vector<LabelledImage> items;  // sorted by class, then path
  // Number of items per class.
  std::vector<int> ClassCounts() const;
};

// <dir>/<class>/<image files>. Hidden entries and non-image extensions are skipped. Errors:
// kNotFound (no such dir), kInvalidArgument (fewer than 2 classes, an empty class folder),
// kDataLoss (an unreadable file).
Result<Dataset> LoadFolderDataset(const std::string& dir);
// CSV with "path,label" rows (a header row "path,label" is skipped; '#' lines ignored).
Result<Dataset> LoadCsvDataset(const std::string& csv_path);
// A folder or a .csv file.
Result<Dataset> LoadDataset(const std::string& path);
// Re-labels `dataset` to the class list `classes` (e.g. a test split to the training classes);
// kInvalidArgument if it has a class not in `classes`.
Result<Dataset> RemapClasses(const Dataset& dataset, const std::vector<std::string>& classes);

}  // namespace vigil
