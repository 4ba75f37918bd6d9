// http_load: open-loop HTTP load at a fixed arrival rate (what wrk cannot do), for latency at a
// given fraction of the maximum load. Request i is due at start + i / rate; its latency is measured
// from that due time, so a server that falls behind is charged for the wait (no coordinated
// omission). Prints one JSON line: sent, ok, errors, achieved rate, p50/p90/p99 latency in ms.
// With --deadline D no request is started after D seconds (to measure the maximum throughput:
// offer far more than the server can take for a bounded time; "sent" counts what was started).
//
// usage: http_load --host 127.0.0.1 --port P --path '/v1/images:classify' --rate R --seconds S
//                  [--connections C] [--deadline D] FILE...
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", path = "/v1/images:classify";
  int port = 8080, connections = 16;
  double rate = 10, seconds = 10, deadline = 0;
  std::vector<std::string> bodies;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--host") host = next();
    else if (a == "--port") port = std::stoi(next());
    else if (a == "--path") path = next();
    else if (a == "--rate") rate = std::stod(next());
    else if (a == "--seconds") seconds = std::stod(next());
    else if (a == "--connections") connections = std::stoi(next());
    else if (a == "--deadline") deadline = std::stod(next());
    else {
      std::ifstream in(a, std::ios::binary);
      bodies.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (bodies.back().empty()) return std::fprintf(stderr, "cannot read %s\n", a.c_str()), 2;
    }
  }
  if (bodies.empty() || rate <= 0) return std::fprintf(stderr, "usage: see the header\n"), 2;
  using Clock = std::chrono::steady_clock;
  const long total = long(rate * seconds);
  const auto start = Clock::now() + std::chrono::milliseconds(200);
  std::atomic<long> next_index{0};
  std::atomic<long> ok{0}, errors{0}, sent{0};
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(deadline));
  std::mutex mutex;
  std::vector<double> latencies_ms;
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&] {
      httplib::Client client(host, port);
      client.set_keep_alive(true);
      client.set_read_timeout(60, 0);
      client.set_tcp_nodelay(true);
      std::vector<double> mine;
      for (;;) {
        long i = next_index.fetch_add(1);
        if (i >= total) break;
        const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(i / rate));
        std::this_thread::sleep_until(due);
        if (deadline > 0 && Clock::now() >= stop) break;
        ++sent;
        const std::string& body = bodies[i % bodies.size()];
        auto res = client.Post(path.c_str(), body, "image/jpeg");
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - due).count();
        if (res && res->status == 200) {
          ++ok;
          mine.push_back(ms);
        } else {
          ++errors;
        }
      }
      std::lock_guard<std::mutex> lock(mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms.empty() ? 0.0 : latencies_ms[size_t(p * (latencies_ms.size() - 1))];
  };
  std::printf("{\"target_rate\":%.1f,\"sent\":%ld,\"ok\":%ld,\"errors\":%ld,\"achieved_rate\":%.1f,"
              "\"p50_ms\":%.1f,\"p90_ms\":%.1f,\"p99_ms\":%.1f}\n",
              rate, sent.load(), ok.load(), errors.load(), ok.load() / elapsed, pct(0.5), pct(0.9), pct(0.99));
  return errors.load() ? 1 : 0;
}
