// EmbedAll: threaded, cached backbone embeddings with augmented views (see embedder.h).
#include "learn/embedder.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace vigil {
namespace fs = std::filesystem;

uint64_t Fnv1a64(const void* data, size_t size, uint64_t hash) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

namespace {

uint64_t Mix(uint64_t h, const std::string& s) { return Fnv1a64(s.data(), s.size() + 1, h); }

bool ReadCache(const std::string& file, size_t expected_dim, std::vector<float>* out) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return false;
  const std::streamoff size = in.tellg();
  if (size <= 0 || size % sizeof(float) != 0) return false;
  if (expected_dim > 0 && static_cast<size_t>(size) != expected_dim * sizeof(float)) return false;
  out->resize(static_cast<size_t>(size) / sizeof(float));
  in.seekg(0);
  return static_cast<bool>(in.read(reinterpret_cast<char*>(out->data()), size));
}

void WriteCache(const std::string& file, const std::vector<float>& v) {
  static std::atomic<uint64_t> counter{0};
  const std::string tmp = file + ".tmp" + std::to_string(counter++) + "-" +
                          std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;  // the cache is best effort
    out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
    if (!out) return;
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) fs::remove(tmp, ec);
}

}  // namespace

Result<std::vector<std::vector<float>>> EmbedAll(const FeatureSource& source,
                                                 const std::vector<EmbedJob>& jobs,
                                                 const EmbedOptions& options, EmbedStats* stats) {
  if (!options.cache_dir.empty()) {
    std::error_code ec;
    fs::create_directories(options.cache_dir, ec);
    if (ec) return InternalError("cannot create cache folder '" + options.cache_dir + "': " + ec.message());
  }
  if (!source.compute) return InvalidArgumentError("EmbedAll: no feature computation");
  const size_t expected_dim = source.dim > 0 ? static_cast<size_t>(source.dim) : 0;
  const std::string spec = AugmentSpec(options.augment);
  std::vector<std::vector<float>> out(jobs.size());
  std::vector<Status> errors(jobs.size());
  std::atomic<size_t> next{0}, done{0};
  std::atomic<int> computed{0}, cached{0};
  std::atomic<bool> failed{false};
  const DecodeOptions& decode = source.decode;
  auto worker = [&]() {
    for (size_t i; !failed && (i = next++) < jobs.size();) {
      const EmbedJob& job = jobs[i];
      Status status = [&]() -> Status {
        VIGIL_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(job.path, decode.max_bytes));
        const uint64_t content = Fnv1a64(bytes.data(), bytes.size());
        uint64_t key = Mix(content, source.key);
        key = Mix(key, "view=" + std::to_string(job.view));
        if (job.view > 0) key = Mix(key, spec + "/seed=" + std::to_string(options.seed));
        char name[32];
        std::snprintf(name, sizeof(name), "%016llx.f32", static_cast<unsigned long long>(key));
        const std::string file = options.cache_dir.empty() ? "" : (fs::path(options.cache_dir) / name).string();
        if (!file.empty() && ReadCache(file, expected_dim, &out[i])) {
          cached++;
          return Status::Ok();
        }
        VIGIL_ASSIGN_OR_RETURN(Image image, DecodeImage(bytes.data(), bytes.size(), decode));
        if (job.view > 0 && options.augment.any()) {
          uint64_t view_seed = Mix(options.seed ^ content, "view" + std::to_string(job.view));
          VIGIL_ASSIGN_OR_RETURN(image, AugmentImage(image, options.augment, view_seed));
        }
        VIGIL_ASSIGN_OR_RETURN(out[i], source.compute(image));
        if (out[i].empty()) return FailedPreconditionError("the feature source gives an empty vector");
        if (expected_dim > 0 && out[i].size() != expected_dim) {
          return InternalError("feature vector of " + std::to_string(out[i].size()) + " values, expected " +
                               std::to_string(expected_dim));
        }
        computed++;
        if (!file.empty()) WriteCache(file, out[i]);
        return Status::Ok();
      }();
      if (!status.ok()) {
        errors[i] = Status(status.code(), job.path + ": " + status.message());
        failed = true;
      }
      const size_t d = ++done;
      if (options.progress) options.progress(d, jobs.size());
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, options.threads); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (const Status& s : errors) VIGIL_RETURN_IF_ERROR(s);
  if (stats != nullptr) {
    stats->computed = computed;
    stats->cached = cached;
  }
  return out;
}

}  // namespace vigil
