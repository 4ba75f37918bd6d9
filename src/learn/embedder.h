// Embedder: feature vectors (backbone embeddings, classical descriptors, or both concatenated) for
// many (image, view) jobs on N threads, with an optional on-disk cache keyed by a 64-bit FNV-1a
// hash of the file bytes, the source key (e.g. "nsfw_mobilenet_v2:1+classical@256"), the view
// index, the augmentation spec and the seed. View 0 is the image as is;
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

// What computes the vector of one decoded image, and how images are decoded for it (the same way
// the installed model will decode them).
struct FeatureSource {
  std::string key;  // identifies the computation (part of the cache key)
  DecodeOptions decode;
  int dim = 0;      // expected vector length (0 = unknown)
  std::function<Result<std::vector<float>>(const Image&)> compute;  // thread-safe
};

struct EmbedOptions {
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
Result<std::vector<std::vector<float>>> EmbedAll(const FeatureSource& source,
                                                 const std::vector<EmbedJob>& jobs,
                                                 const EmbedOptions& options, EmbedStats* stats);

}  // namespace vigil
