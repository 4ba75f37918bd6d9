// DeadlineStream: a cpp-httplib Stream over a non-blocking connected socket with a total deadline
// for reading (a request's head and body must arrive by then, however the client trickles it)
// besides the per-read idle timeout, and bytes already read by the connection front
// (connection_front.h) served first.
//
//   DeadlineStream stream(sock, std::move(preread), Clock::now() + 60s, 10s, 10s);
//   server.ProcessRequest(stream, ...);        // reads fail once the deadline has passed
//   std::string next = stream.TakeBuffered();  // bytes of a pipelined next request
//
// Thread-safety: one thread at a time.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>

namespace vigil::server {

class DeadlineStream : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;
  DeadlineStream(int sock, std::string buffered, Clock::time_point read_deadline,
                 std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return sock_; }

  void set_read_deadline(Clock::time_point deadline) { deadline_ = deadline; }
  Clock::time_point read_deadline() const { return deadline_; }
  // True once a read failed because the total deadline passed.
  bool deadline_expired() const { return expired_; }
  // The bytes read from the socket and not consumed yet (a pipelined request), removed.
  std::string TakeBuffered();
  bool has_buffered() const { return offset_ < buffer_.size(); }

 private:
  // Waits until the socket is readable, within the idle timeout and the deadline.
  bool WaitReadable() const;
  int sock_;
  std::string buffer_;
  size_t offset_ = 0;
  Clock::time_point deadline_;
  std::chrono::milliseconds read_timeout_;
  std::chrono::milliseconds write_timeout_;
  mutable bool expired_ = false;
};

// ip and port of a socket's peer (remote) or own address (local).
void SocketAddress(int sock, bool remote, std::string* ip, int* port);

}  // namespace vigil::server
