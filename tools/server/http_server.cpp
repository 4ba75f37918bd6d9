// HttpServer: cpp-httplib set-up (limits, timeouts, JSON errors, request framing checks), its
// connections served through the ConnectionFront, and the installation of the Router's routes.
#include "http_server.h"

#include <httplib.h>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "connection_front.h"
#include "http_util.h"

namespace vigil::server {
namespace {

bool ToMethod(const std::string& text, Method* method) {
  if (text == "GET") *method = Method::kGet;
  else if (text == "POST") *method = Method::kPost;
  else if (text == "DELETE") *method = Method::kDelete;
  else return false;
  return true;
}

// Content-Length must be one decimal number; repeated headers must agree (RFC 9112 6.3: a message
// whose length is ambiguous is refused, else two parties may frame it differently). A length and
// a Transfer-Encoding together are refused for the same reason.
bool CheckFraming(const httplib::Request& req, std::string* why) {
  const size_t count = req.get_header_value_count("Content-Length");
  if (count == 0) return true;
  const std::string first = req.get_header_value("Content-Length");
  if (first.empty() || first.size() > 19 || first.find_first_not_of("0123456789") != std::string::npos) {
    *why = "Content-Length must be a decimal number of bytes";
    return false;
  }
  for (size_t i = 1; i < count; ++i) {
    if (req.get_header_value("Content-Length", i) != first) {
      *why = "conflicting Content-Length headers";
      return false;
    }
  }
  if (req.has_header("Transfer-Encoding")) {
    *why = "both Content-Length and Transfer-Encoding";
    return false;
  }
  return true;
}

// cpp-httplib's server with its connection handling replaced by the ConnectionFront: the accept
// loop hands each socket to the front (process_and_close_socket in register mode), and the
// front's workers run httplib's request processing on a DeadlineStream.
class FrontedServer : public httplib::Server {
 public:
  bool Process(httplib::Stream& stream, bool close_connection, bool& connection_closed) {
    return process_request(stream, close_connection, connection_closed, nullptr);
  }
  void set_front(ConnectionFront* front) { front_ = front; }
  // httplib listens with a backlog of 5: a burst of connections overflows it and the kernel drops
  // (then resets) them. Listening again on the bound socket raises it (Linux caps it at somaxconn).
  void SetBacklog(int backlog) { ::listen(svr_sock_, backlog); }

 private:
  bool process_and_close_socket(socket_t sock) override {
    if (front_ && ConnectionFront::InRegisterMode()) {
      front_->Register(sock);
      return true;
    }
    ::close(sock);  // not reached: every accepted socket goes through the front
    return false;
  }
  ConnectionFront* front_ = nullptr;
};

}  // namespace

HttpServer::HttpServer(const ServerConfig& config, std::unique_ptr<Router> router, MetricsRegistry* metrics)
    : config_(config), router_(std::move(router)), metrics_(metrics), http_(std::make_unique<FrontedServer>()) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const ServerConfig& config, std::unique_ptr<Router> router,
                                                       MetricsRegistry* metrics) {
  VIGIL_RETURN_IF_ERROR(ValidateServerConfig(config));
  if (!router) return InvalidArgumentError("HttpServer needs a router");
  std::unique_ptr<HttpServer> server(new HttpServer(config, std::move(router), metrics));
  server->Install();
  return server;
}

void HttpServer::Install() {
  httplib::Server& http = *http_;
  const Router* router = router_.get();
  ConnectionFrontOptions front;
  front.workers = config_.http_threads;
  front.max_connections = size_t(config_.max_connections);
  front.header_timeout = std::chrono::seconds(config_.header_timeout_seconds);
  front.body_timeout = std::chrono::seconds(config_.body_timeout_seconds);
  front.body_min_bytes_per_second = size_t(config_.body_min_bytes_per_second);
  front.read_timeout = std::chrono::seconds(config_.read_timeout_seconds);
  front.write_timeout = std::chrono::seconds(config_.read_timeout_seconds);
  front.keep_alive_timeout = std::chrono::seconds(5);
  front.metrics = metrics_;
  // Bodies of buffered routes are read by the front (no worker waits for a slow body); streamed
  // uploads and unknown routes go to a worker after their head.
  front.preread_limit = [router](const std::string& method_text, const std::string& path) -> size_t {
    Method method;
    if (!ToMethod(method_text, &method)) return 0;
    const Route* route = router->Find(method, path);
    return route && route->body == BodyMode::kBuffered ? route->max_body_bytes : 0;
  };
  auto* fronted = static_cast<FrontedServer*>(http_.get());
  http.new_task_queue = [fronted, front] {
    auto* queue = new ConnectionFront(front, [fronted](DeadlineStream& stream, bool close, bool& closed) {
      return fronted->Process(stream, close, closed);
    });
    fronted->set_front(queue);
    return queue;
  };
  // Streamed routes (video uploads) are held to their own limit by their handler; every other
  // route to its max_body_bytes before its body is read.
  size_t max_payload = config_.max_body_bytes;
  for (const Route& r : router_->routes()) max_payload = std::max(max_payload, r.max_body_bytes);
  http.set_payload_max_length(max_payload);
  http.set_pre_routing_handler([router](const httplib::Request& req, httplib::Response& res) {
    std::string why;
    if (!CheckFraming(req, &why)) {
      SendError(res, 400, "invalid_argument", "HTTP 400: " + why);
      return httplib::Server::HandlerResponse::Handled;
    }
    Method method;
    if (!req.has_header("Content-Length") || !ToMethod(req.method, &method)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    const Route* route = router->Find(method, req.path);
    if (route && route->body == BodyMode::kStreamed) return httplib::Server::HandlerResponse::Unhandled;
    const size_t limit = route ? route->max_body_bytes : router->BodyLimit(method, req.path);
    if (std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) <= limit) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    SendError(res, 413, "resource_exhausted", "HTTP 413: request body larger than max_body_bytes");
    return httplib::Server::HandlerResponse::Handled;
  });
  // A client that asks "Expect: 100-continue" for a body over the limit gets the 413 instead of
  // "100 Continue": answering 413 after it started sending and closing with its body unread can
  // reset the connection before the client reads the answer (curl then reports only the 100).
  http.set_expect_100_continue_handler([router](const httplib::Request& req, httplib::Response& res) {
    Method method;
    if (!req.has_header("Content-Length") || !ToMethod(req.method, &method)) return 100;
    const Route* route = router->Find(method, req.path);
    const bool upload = route && route->body == BodyMode::kStreamed;
    const size_t limit = router->BodyLimit(method, req.path);
    if (std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) <= limit) return 100;
    SendError(res, 413, "resource_exhausted",
              std::string("request body larger than ") + (upload ? "jobs.max_upload_bytes" : "max_body_bytes"));
    return 413;
  });
  http.set_read_timeout(config_.read_timeout_seconds, 0);
  http.set_write_timeout(config_.read_timeout_seconds, 0);
  http.set_keep_alive_timeout(5);
  http.set_tcp_nodelay(true);  // small JSON answers must not wait for delayed ACKs (~40 ms)

  for (size_t i = 0; i < router_->routes().size(); ++i) {
    const Route* route = &router_->routes()[i];
    const std::string& regex = router_->regex_text(i);
    auto params = [](const httplib::Request& req) {
      std::vector<std::string> out;
      for (size_t g = 1; g < req.matches.size(); ++g) out.push_back(req.matches[g].str());
      return out;
    };
    httplib::Server::Handler buffered = [router, route, params](const httplib::Request& req, httplib::Response& res) {
      router->Invoke(*route, req, res, params(req));
    };
    switch (route->method) {
      case Method::kGet: http.Get(regex, buffered); break;
      case Method::kDelete: http.Delete(regex, buffered); break;
      case Method::kPost:
        if (route->body == BodyMode::kStreamed) {
          http.Post(regex, [router, route, params](const httplib::Request& req, httplib::Response& res,
                                                   const httplib::ContentReader& reader) {
            router->Invoke(*route, req, res, params(req), &reader);
          });
        } else {
          http.Post(regex, buffered);
        }
        break;
    }
  }
  // Every error without a body (unknown route 404, 413 from the body limit, 400 from a malformed
  // request line...) still gets a JSON body; a known path with another method is a 405.
  http.set_error_handler([router](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    Method method;
    bool path_known = false;
    if (res.status == 404 && ToMethod(req.method, &method)) router->Find(method, req.path, nullptr, &path_known);
    if (res.status == 404 && (path_known || (!req.method.empty() && !ToMethod(req.method, &method)))) {
      res.status = 405;
    }
    const char* code = res.status == 404 ? "not_found"
                       : res.status == 413 ? "resource_exhausted"
                       : res.status == 405 ? "method_not_allowed"
                       : res.status < 500 ? "invalid_argument" : "internal";
    const char* reason = res.status == 404 ? "no such route"
                         : res.status == 413 ? "request body larger than max_body_bytes"
                         : res.status == 405 ? "method not allowed on this route"
                         : "malformed request";
    SendError(res, res.status, code, std::string("HTTP ") + std::to_string(res.status) + ": " + reason);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unexpected error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    SendError(res, 500, "internal", what);
  });
}

bool HttpServer::ServeStream(httplib::Stream& stream) {
  bool closed = false;
  return static_cast<FrontedServer*>(http_.get())->Process(stream, /*close_connection=*/true, closed);
}

Result<int> HttpServer::Bind() {
  int port = config_.port == 0 ? http_->bind_to_any_port(config_.host)
                               : (http_->bind_to_port(config_.host, config_.port) ? config_.port : -1);
  if (port < 0) {
    return UnavailableError("cannot listen on " + config_.host + ":" + std::to_string(config_.port));
  }
  static_cast<FrontedServer*>(http_.get())->SetBacklog(std::clamp(config_.max_connections, 128, 4096));
  return port;
}

Status HttpServer::Serve() {
  if (!http_->listen_after_bind()) return InternalError("the HTTP server stopped with an error");
  return Status::Ok();
}

void HttpServer::Stop() {
  if (http_) http_->stop();
}

}  // namespace vigil::server
