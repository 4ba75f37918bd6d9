// ConnectionFront: the event-driven front of the HTTP listener. cpp-httplib serves one connection
// per thread and only times out single reads, so clients that trickle a request (a header line or
// a body byte every few seconds) each held a thread: 70 of them starved /healthz (issue 19). Here
// one epoll thread holds every connection while its request head (and a buffered route's body)
// arrives, under a total deadline, and between keep-alive requests; a worker thread is taken only
// by a complete request (or a streamed upload after its head). Connections over max_connections
// are answered 503 at once and closed. It is the listener's httplib::TaskQueue: the listener's
// accept loop hands it each socket (Register), workers run httplib's request processing on a
// DeadlineStream.
//
//   ConnectionFrontOptions o;  o.workers = 64;  o.max_connections = 2048;
//   auto* front = new ConnectionFront(o, [&](DeadlineStream& s, bool close, bool& closed) {
//     return server.Process(s, close, closed);
//   });                        // owned by httplib (new_task_queue), shut down when it stops
//
// Thread-safety: Register and the TaskQueue calls come from the listener thread; the rest is
// internal (one epoll thread, N workers).
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "deadline_stream.h"
#include "vigil/metrics.h"

namespace vigil::server {

struct ConnectionFrontOptions {
  int workers = 64;                      // threads running complete requests
  size_t max_connections = 2048;         // open connections; more are answered 503 and closed
  std::chrono::milliseconds header_timeout{10000};  // request line + headers, in total
  std::chrono::milliseconds body_timeout{60000};    // body, in total, plus body size / min rate
  size_t body_min_bytes_per_second = 64 << 10;
  std::chrono::milliseconds read_timeout{10000};    // longest pause between two reads
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds keep_alive_timeout{5000};  // idle connection between requests
  size_t max_requests_per_connection = 100;
  size_t max_head_bytes = 64 << 10;      // a longer head goes to httplib as is (it answers 4xx)
  size_t preread_budget_bytes = 256u << 20;  // bodies buffered by the front, all connections
  // For a request's method and path: the largest body the front reads before a worker takes it,
  // 0 = hand over after the head (streamed uploads, unknown routes).
  std::function<size_t(const std::string& method, const std::string& path)> preread_limit;
  MetricsRegistry* metrics = nullptr;    // vigil_http_connections{state}, refusals, timeouts
};

class ConnectionFront : public httplib::TaskQueue {
 public:
  // Runs one request on the stream; returns false when the connection must close. `close` asks
  // httplib to answer with "Connection: close"; it sets `closed` when the client asked for it.
  using Processor = std::function<bool(DeadlineStream& stream, bool close, bool& closed)>;

  ConnectionFront(ConnectionFrontOptions options, Processor processor);
  ~ConnectionFront() override;

  // httplib::TaskQueue: the listener calls enqueue with a task that processes one accepted socket;
  // it is run at once in "register" mode, where the server's process_and_close_socket calls
  // Register instead of serving.
  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // True on the thread that runs an enqueued task (the listener's), during that call.
  static bool InRegisterMode();
  // Takes an accepted socket (or answers 503 and closes it when max_connections are open).
  void Register(int sock);

  size_t open_connections() const { return open_.load(); }

 private:
  struct Conn;
  void Loop();
  void Wake();
  void AddPending(int sock, std::unique_ptr<Conn> conn);
  // Reads what is available; false when the connection ended.
  bool ReadAvailable(int sock, Conn& conn);
  // True when the request can go to a worker.
  bool Ready(Conn& conn);
  void HandOver(int sock, std::unique_ptr<Conn> conn);
  void Serve(int sock, std::unique_ptr<Conn> conn);
  void Close(int sock);
  void Refuse(int sock, int status, const std::string& code, const std::string& message);

  ConnectionFrontOptions options_;
  Processor processor_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> open_{0};
  std::atomic<size_t> preread_bytes_{0};
  std::mutex pending_mutex_;
  std::vector<std::pair<int, std::unique_ptr<Conn>>> pending_;
  std::unique_ptr<httplib::ThreadPool> workers_;
  std::thread thread_;
  MetricFamily* connections_ = nullptr;
  MetricFamily* refused_ = nullptr;
  MetricFamily* timeouts_ = nullptr;
};

}  // namespace vigil::server
