// DeadlineStream (see deadline_stream.h): poll + recv/send on a non-blocking socket.
#include "deadline_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vigil::server {

namespace {

constexpr size_t kReadChunk = 16 << 10;

int PollFor(int sock, short events, std::chrono::milliseconds timeout) {
  pollfd p{sock, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, int(std::max<int64_t>(0, timeout.count())));
    if (r < 0 && errno == EINTR) continue;
    return r > 0 && (p.revents & (events | POLLHUP | POLLERR)) ? 1 : r;
  }
}

}  // namespace

void SocketAddress(int sock, bool remote, std::string* ip, int* port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int r = remote ? ::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len)
                       : ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len);
  ip->clear();
  *port = -1;
  if (r != 0) return;
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    *port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    *port = ntohs(a->sin6_port);
  }
  *ip = text;
}

DeadlineStream::DeadlineStream(int sock, std::string buffered, Clock::time_point read_deadline,
                               std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout)
    : sock_(sock), buffer_(std::move(buffered)), deadline_(read_deadline), read_timeout_(read_timeout),
      write_timeout_(write_timeout) {}

bool DeadlineStream::WaitReadable() const {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
  if (left.count() <= 0) {
    expired_ = true;
    return false;
  }
  if (PollFor(sock_, POLLIN, std::min(left, read_timeout_)) > 0) return true;
  if (Clock::now() >= deadline_) expired_ = true;
  return false;
}

bool DeadlineStream::is_readable() const { return has_buffered() || WaitReadable(); }

bool DeadlineStream::is_writable() const { return PollFor(sock_, POLLOUT, write_timeout_) > 0; }

ssize_t DeadlineStream::read(char* ptr, size_t size) {
  if (!has_buffered()) {
    buffer_.clear();
    offset_ = 0;
    if (!WaitReadable()) return -1;
    buffer_.resize(kReadChunk);
    ssize_t n;
    do {
      n = ::recv(sock_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      buffer_.clear();
      return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? read(ptr, size) : -1;
    }
    buffer_.resize(size_t(n));
  }
  const size_t n = std::min(size, buffer_.size() - offset_);
  std::memcpy(ptr, buffer_.data() + offset_, n);
  offset_ += n;
  return ssize_t(n);
}

ssize_t DeadlineStream::write(const char* ptr, size_t size) {
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(sock_, ptr + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      sent += size_t(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (PollFor(sock_, POLLOUT, write_timeout_) <= 0) return sent ? ssize_t(sent) : -1;
    } else {
      return sent ? ssize_t(sent) : -1;
    }
  }
  return ssize_t(sent);
}

void DeadlineStream::get_remote_ip_and_port(std::string& ip, int& port) const { SocketAddress(sock_, true, &ip, &port); }

void DeadlineStream::get_local_ip_and_port(std::string& ip, int& port) const { SocketAddress(sock_, false, &ip, &port); }

std::string DeadlineStream::TakeBuffered() {
  std::string rest = buffer_.substr(offset_);
  buffer_.clear();
  offset_ = 0;
  return rest;
}

}  // namespace vigil::server
