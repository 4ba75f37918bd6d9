// Embedder: backbone embeddings for many (image, view) jobs on N threads through ImageClassifier,
// with an optional on-disk cache keyed by a 64-bit FNV-1a hash of the file bytes, the backbone
// ("name:version"), the view index, the augmentation spec and the seed. View 0 is the image as is;
// views >= 1 are AugmentImage copies seeded from (seed, content hash, view), so they do not depend
// on thread scheduling.
// Thread-safety: EmbedAll is reentrant; the cache folder may be shared by concurrent runs (files are
// written to a temporary name and renamed).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "learn/augment.h"
#include "vigil/classifier.h"
#include "vigil/status.h"

namespace vigil {

struct EmbedJob {
  std::string path;
  int view = 0;
};

struct EmbedOptions {
  std::string backbone_key;  // "name:version", part of the cache key
  AugmentOptions augment;
  uint64_t seed = 1;
  int threads = 1;
  std::string cache_dir;  // "" = no cache
  std::function<void(size_t done, size_t total)> progress;
};

struct EmbedStats {
  int computed = 0;
  int cached = 0;
};

uint64_t Fnv1a64(const void* data, size_t size, uint64_t hash = 0xcbf29ce484222325ull);

// Embeddings in job order. The first failing job's error (with its path) is returned.
Result<std::vector<std::vector<float>>> EmbedAll(const ImageClassifier& classifier,
                                                 const std::vector<EmbedJob>& jobs,
                                                 const EmbedOptions& options, EmbedStats* stats);

}  // namespace vigil
