// PdqIndex at scale: N random 256-bit hashes plus planted near-duplicates of the queries (at
// distances spread over 0..31), then Q queries at radius 31 on T threads. Prints build time,
// queries/s, recall of the planted matches (must be 100%), false hits (must be 0: every hit is
// verified) and memory (index bytes and the process's peak RSS).
//   pdq_index_bench [N=1000000] [Q=20000] [THREADS=2] [PLANTED_PER_QUERY=4]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "vigil/pdq_index.h"

namespace {

vigil::PdqHash RandomHash(std::mt19937_64& rng) { return vigil::PdqHash({rng(), rng(), rng(), rng()}); }

vigil::PdqHash Flip(const vigil::PdqHash& base, int bits, std::mt19937_64& rng) {
  std::array<uint64_t, 4> w = base.words();
  int flipped = 0;
  while (flipped < bits) {
    const int k = static_cast<int>(rng() & 255);
    const uint64_t m = uint64_t{1} << (k & 63);
    if ((w[k >> 6] ^ base.words()[k >> 6]) & m) continue;  // already flipped
    w[k >> 6] ^= m;
    ++flipped;
  }
  return vigil::PdqHash(w);
}

long PeakRssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// User + system CPU seconds of the whole process so far.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const size_t q = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20000;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  const int planted = argc > 4 ? std::atoi(argv[4]) : 4;
  const int radius = vigil::kPdqMatchDistance;
  std::mt19937_64 rng(20261207);

  std::vector<vigil::PdqHash> queries(q);
  for (auto& h : queries) h = RandomHash(rng);
  auto start = std::chrono::steady_clock::now();
  vigil::PdqIndex index;
  index.Reserve(n + q * planted);
  // Planted ids are negative: -(query * planted + j) - 1, at distance (j * 31 / (planted - 1)).
  size_t next_query = 0;
  const size_t every = q * planted > 0 ? std::max<size_t>(1, n / (q * planted)) : n + 1;
  for (size_t i = 0; i < n; ++i) {
    index.Add(static_cast<int64_t>(i), RandomHash(rng));
    if (i % every == 0 && next_query < q * planted) {
      const size_t qi = next_query / planted;
      const int j = static_cast<int>(next_query % planted);
      const int d = planted > 1 ? j * radius / (planted - 1) : radius;
      index.Add(-static_cast<int64_t>(next_query) - 1, Flip(queries[qi], d, rng));
      ++next_query;
    }
  }
  for (; next_query < q * planted; ++next_query) {
    const size_t qi = next_query / planted;
    const int j = static_cast<int>(next_query % planted);
    index.Add(-static_cast<int64_t>(next_query) - 1, Flip(queries[qi], planted > 1 ? j * radius / (planted - 1) : radius, rng));
  }
  index.Compact();
  const double build_s = Seconds(start);

  std::atomic<size_t> next{0}, found_planted{0}, other_hits{0};
  start = std::chrono::steady_clock::now();
  const double cpu_start = CpuSeconds();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < q;) {
        const auto hits = index.Search(queries[i], radius);
        for (const auto& hit : hits) {
          if (hit.id < 0 && static_cast<size_t>(-hit.id - 1) / planted == i) {
            ++found_planted;
          } else {
            ++other_hits;
          }
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  const double query_s = Seconds(start);
  const double query_cpu_s = CpuSeconds() - cpu_start;
  std::printf("entries %zu (random %zu + planted %zu)  build %.1f s  index %.0f MB  peak RSS %.0f MB\n",
              index.size(), n, q * planted, build_s, index.MemoryBytes() / 1048576.0, PeakRssKb() / 1024.0);
  std::printf("queries %zu at radius %d on %d threads: %.0f queries/s (%.3f ms each per thread); "
              "CPU %.3f ms per query, so %.0f queries/s per fully available core\n", q,
              radius, threads, q / query_s, query_s * 1000.0 * threads / q, query_cpu_s * 1000.0 / q,
              q / query_cpu_s);
  std::printf("planted recall %zu/%zu (%.2f%%)  other hits %zu\n", found_planted.load(), q * planted,
              100.0 * found_planted / std::max<size_t>(1, q * planted), other_hits.load());
  return found_planted == q * planted ? 0 : 1;
}
