// ConnectionFront (see connection_front.h): epoll thread, request-head parsing for framing only
// (httplib parses the request itself), deadlines, the worker pool and keep-alive hand-back.
#include "connection_front.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_map>

namespace vigil::server {
namespace {

using Clock = std::chrono::steady_clock;

thread_local bool tl_register_mode = false;

bool IEquals(const std::string& a, const char* b) {
  const size_t n = std::strlen(b);
  if (a.size() != n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// A complete HTTP answer with a JSON error, sent without blocking (best effort) before a close.
void SendRaw(int sock, int status, const char* reason, const std::string& code, const std::string& message) {
  const std::string body = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump();
  std::string text = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                     "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n";
  if (status == 503) text += "Retry-After: 1\r\n";
  text += "\r\n" + body;
  (void)::send(sock, text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

}  // namespace

// One connection while the front holds it.
struct ConnectionFront::Conn {
  std::string buffer;
  bool idle = true;                // keep-alive: no byte of the next request yet
  bool in_body = false;            // head complete, body being buffered
  size_t need = 0;                 // bytes of head + body to buffer before hand-over
  size_t reserved = 0;             // preread budget held
  size_t requests = 0;             // requests served on this connection
  Clock::time_point deadline;      // total: idle -> keep-alive end; head; body
  Clock::time_point last_read;
  Clock::time_point worker_deadline;  // what the worker's stream gets
};

ConnectionFront::ConnectionFront(ConnectionFrontOptions options, Processor processor)
    : options_(std::move(options)), processor_(std::move(processor)) {
  if (options_.metrics) {
    connections_ = &options_.metrics->Gauge("vigil_http_connections", "Open HTTP connections");
    refused_ = &options_.metrics->Counter("vigil_http_connections_refused_total",
                                          "Connections answered 503 at once: max_connections were open");
    timeouts_ = &options_.metrics->Counter("vigil_http_request_read_timeouts_total",
                                           "Requests whose head or body did not arrive in time (400)");
  }
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  workers_ = std::make_unique<httplib::ThreadPool>(size_t(std::max(1, options_.workers)));
  thread_ = std::thread([this] { Loop(); });
}

ConnectionFront::~ConnectionFront() {
  shutdown();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool ConnectionFront::InRegisterMode() { return tl_register_mode; }

void ConnectionFront::enqueue(std::function<void()> fn) {
  tl_register_mode = true;
  fn();  // -> the server's process_and_close_socket -> Register
  tl_register_mode = false;
}

void ConnectionFront::shutdown() {
  if (stopping_.exchange(true)) return;
  Wake();
  if (thread_.joinable()) thread_.join();
  workers_->shutdown();  // requests in flight finish; their connections then close
}

void ConnectionFront::Wake() {
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void ConnectionFront::Register(int sock) {
  if (stopping_) {
    ::close(sock);
    return;
  }
  if (open_.load() >= options_.max_connections) {
    Refuse(sock, 503, "unavailable",
           "too many open connections (max_connections " + std::to_string(options_.max_connections) + ")");
    if (refused_) refused_->Add({});
    return;
  }
  ++open_;
  if (connections_) connections_->Set({}, double(open_.load()));
  ::fcntl(sock, F_SETFL, ::fcntl(sock, F_GETFL) | O_NONBLOCK);
  const int one = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto conn = std::make_unique<Conn>();
  const auto now = Clock::now();
  conn->idle = false;  // a new connection's head is due within header_timeout
  conn->deadline = now + options_.header_timeout;
  conn->last_read = now;
  AddPending(sock, std::move(conn));
}

void ConnectionFront::AddPending(int sock, std::unique_ptr<Conn> conn) {
  {
    std::lock_guard<std::mutex> lock(pending_mutex_);
    pending_.emplace_back(sock, std::move(conn));
  }
  Wake();
}

void ConnectionFront::Refuse(int sock, int status, const std::string& code, const std::string& message) {
  SendRaw(sock, status, status == 503 ? "Service Unavailable" : "Bad Request", code, message);
  ::shutdown(sock, SHUT_WR);
  ::close(sock);
}

void ConnectionFront::Close(int sock) {
  ::close(sock);
  --open_;
  if (connections_) connections_->Set({}, double(open_.load()));
}

bool ConnectionFront::ReadAvailable(int sock, Conn& conn) {
  char chunk[16 << 10];
  for (;;) {
    const ssize_t n = ::recv(sock, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n > 0) {
      const auto now = Clock::now();
      if (conn.idle) {  // the next request starts: its head is due within header_timeout
        conn.idle = false;
        conn.deadline = now + options_.header_timeout;
      }
      conn.last_read = now;
      conn.buffer.append(chunk, size_t(n));
      // Enough to decide; the rest stays in the socket for the worker.
      if (conn.buffer.size() >= std::max(conn.need, options_.max_head_bytes)) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // end of stream or error
  }
}

bool ConnectionFront::Ready(Conn& conn) {
  if (conn.in_body) return conn.buffer.size() >= conn.need;
  const size_t end = conn.buffer.find("\r\n\r\n");
  if (end == std::string::npos) {  // too long a head goes to httplib, which refuses it
    conn.worker_deadline = conn.deadline;
    return conn.buffer.size() >= options_.max_head_bytes;
  }
  // Framing only: method, path, Content-Length, Transfer-Encoding, Expect.
  const std::string head = conn.buffer.substr(0, end + 2);
  const size_t line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
  const std::string method = sp1 == std::string::npos ? "" : line.substr(0, sp1);
  std::string path = sp2 == std::string::npos ? "" : line.substr(sp1 + 1, sp2 - sp1 - 1);
  path = path.substr(0, path.find('?'));
  std::string length;
  bool other_framing = false;  // chunked, 100-continue, repeated lengths: httplib decides
  for (size_t pos = line_end + 2; pos < head.size();) {
    const size_t next = head.find("\r\n", pos);
    const std::string h = head.substr(pos, next - pos);
    pos = next + 2;
    const size_t colon = h.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = h.substr(0, colon);
    if (IEquals(name, "Content-Length")) {
      other_framing |= !length.empty();
      length = Trim(h.substr(colon + 1));
    } else if (IEquals(name, "Transfer-Encoding") || IEquals(name, "Expect")) {
      other_framing = true;
    }
  }
  const auto now = Clock::now();
  size_t body = 0;
  if (!length.empty() && length.size() <= 15 && length.find_first_not_of("0123456789") == std::string::npos) {
    body = size_t(std::stoull(length));
  } else if (!length.empty()) {
    other_framing = true;
  }
  const auto body_time = options_.body_timeout + std::chrono::milliseconds(
                                                     uint64_t(body) * 1000 / std::max<size_t>(1, options_.body_min_bytes_per_second));
  conn.worker_deadline = now + body_time;
  const size_t limit = options_.preread_limit ? options_.preread_limit(method, path) : 0;
  if (other_framing || body == 0 || body > limit ||
      preread_bytes_.load() + body > options_.preread_budget_bytes) {
    return true;  // hand over after the head: the worker reads the body under worker_deadline
  }
  conn.in_body = true;
  conn.need = end + 4 + body;
  conn.reserved = body;
  preread_bytes_ += body;
  conn.deadline = conn.worker_deadline;
  return conn.buffer.size() >= conn.need;
}

void ConnectionFront::HandOver(int sock, std::unique_ptr<Conn> conn) {
  preread_bytes_ -= conn->reserved;
  conn->reserved = 0;
  std::shared_ptr<Conn> shared(conn.release());
  workers_->enqueue([this, sock, shared] { Serve(sock, std::make_unique<Conn>(std::move(*shared))); });
}

void ConnectionFront::Serve(int sock, std::unique_ptr<Conn> conn) {
  DeadlineStream stream(sock, std::move(conn->buffer), conn->worker_deadline, options_.read_timeout,
                        options_.write_timeout);
  for (;;) {
    ++conn->requests;
    const bool close = stopping_ || conn->requests >= options_.max_requests_per_connection;
    bool closed = false;
    const bool ok = processor_(stream, close, closed);
    if (stream.deadline_expired() && timeouts_) timeouts_->Add({});
    if (!ok || closed || close || stream.deadline_expired()) break;
    if (stream.has_buffered()) {  // a pipelined request: its head is due within header_timeout
      stream.set_read_deadline(Clock::now() + options_.header_timeout);
      continue;
    }
    // Idle until the next request: back to the epoll thread, which holds no worker for it.
    auto idle = std::make_unique<Conn>();
    idle->requests = conn->requests;
    idle->deadline = Clock::now() + options_.keep_alive_timeout;
    idle->last_read = Clock::now();
    if (stopping_) break;
    AddPending(sock, std::move(idle));
    return;
  }
  ::shutdown(sock, SHUT_WR);
  Close(sock);
}

void ConnectionFront::Loop() {
  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  std::vector<epoll_event> events(256);
  auto drop = [&](int sock) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, sock, nullptr);
    auto it = conns.find(sock);
    if (it != conns.end()) {
      preread_bytes_ -= it->second->reserved;
      conns.erase(it);
    }
  };
  auto ready = [&](int sock) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, sock, nullptr);
    auto it = conns.find(sock);
    std::unique_ptr<Conn> conn = std::move(it->second);
    conns.erase(it);
    HandOver(sock, std::move(conn));
  };
  Clock::time_point next_sweep = Clock::now();
  while (!stopping_) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), int(events.size()), 100);
    std::vector<std::pair<int, std::unique_ptr<Conn>>> added;
    {
      std::lock_guard<std::mutex> lock(pending_mutex_);
      added.swap(pending_);
    }
    for (auto& [sock, conn] : added) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = sock;
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sock, &ev) != 0) {
        Close(sock);
        continue;
      }
      conns[sock] = std::move(conn);
    }
    for (int i = 0; i < n; ++i) {
      const int sock = events[size_t(i)].data.fd;
      if (sock == wake_fd_) {
        uint64_t v;
        (void)!::read(wake_fd_, &v, sizeof v);
        continue;
      }
      auto it = conns.find(sock);
      if (it == conns.end()) continue;
      Conn& conn = *it->second;
      const bool alive = ReadAvailable(sock, conn);
      if (!conn.buffer.empty() && Ready(conn)) {
        ready(sock);  // even if the client half-closed after sending its request
      } else if (!alive) {
        drop(sock);
        Close(sock);
      }
    }
    const auto now = Clock::now();
    if (now < next_sweep) continue;
    next_sweep = now + std::chrono::milliseconds(100);
    std::vector<int> expired;
    for (const auto& [sock, conn] : conns) {
      if (now >= conn->deadline || (!conn->idle && now - conn->last_read >= options_.read_timeout)) {
        expired.push_back(sock);
      }
    }
    for (int sock : expired) {
      const bool idle = conns[sock]->idle;
      drop(sock);
      if (idle) {  // keep-alive ended: close quietly
        Close(sock);
        continue;
      }
      if (timeouts_) timeouts_->Add({});
      SendRaw(sock, 400, "Bad Request", "invalid_argument",
              "HTTP 400: the request did not arrive in time (header_timeout_seconds, body_timeout_seconds, "
              "read_timeout_seconds)");
      ::shutdown(sock, SHUT_WR);
      Close(sock);
    }
  }
  // Stopping: connections waiting for a request close now; those with workers finish.
  for (auto& [sock, conn] : conns) {
    preread_bytes_ -= conn->reserved;
    Close(sock);
  }
  std::lock_guard<std::mutex> lock(pending_mutex_);
  for (auto& [sock, conn] : pending_) Close(sock);
  pending_.clear();
}

}  // namespace vigil::server
