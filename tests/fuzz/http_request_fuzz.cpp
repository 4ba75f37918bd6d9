// libFuzzer target: raw bytes as one HTTP request to `vigil serve`'s real stack (cpp-httplib's
// request line, header, chunked and multipart parsing, the framing checks, body limits, the
// Router with its roles, every route's query, JSON and multipart handling, error bodies), served
// in-process by HttpServer::ServeStream on an in-memory stream. The service holds one tiny
// classifier (8x8 RGB, 3 labels; written at start-up) so classify requests run end to end cheaply;
// jobs are disabled (their routes answer 503) and the API key "fuzz-read" has the read role, so
// admin routes (model reload) are refused. Any answer is fine except a crash, a leak, UB or a 500
// (an unnamed internal error from a request is a bug).
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <httplib.h>

#include "http_server.h"
#include "router.h"
#include "serve_app.h"
#include "server_config.h"
#include "vigil/service.h"

namespace {

namespace fs = std::filesystem;

// input [N,8,8,3] (NHWC) -> Transpose -> GlobalAveragePool -> Flatten = embedding [N,3]
// -> Softmax = probabilities [N,3].
void WriteTinyClassifier(const fs::path& dir) {
  fs::create_directories(dir / "tiny" / "1");
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("tiny");
  auto add_value = [](onnx::ValueInfoProto* v, const std::string& name, std::initializer_list<int64_t> dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    bool first = true;
    for (int64_t d : dims) {
      auto* dim = t->mutable_shape()->add_dim();
      if (first) dim->set_dim_param("N"); else dim->set_dim_value(d);
      first = false;
    }
  };
  add_value(g->add_input(), "input", {-1, 8, 8, 3});
  auto node = [&](const char* op, const std::string& in, const std::string& out) {
    onnx::NodeProto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(out + "_node");
    n->add_input(in);
    n->add_output(out);
    return n;
  };
  onnx::NodeProto* transpose = node("Transpose", "input", "nchw");
  onnx::AttributeProto* perm = transpose->add_attribute();
  perm->set_name("perm");
  perm->set_type(onnx::AttributeProto::INTS);
  for (int64_t p : {0, 3, 1, 2}) perm->add_ints(p);
  node("GlobalAveragePool", "nchw", "pooled");
  node("Flatten", "pooled", "embedding");
  onnx::NodeProto* softmax = node("Softmax", "embedding", "probabilities");
  onnx::AttributeProto* axis = softmax->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(1);
  add_value(g->add_output(), "embedding", {-1, 3});
  add_value(g->add_output(), "probabilities", {-1, 3});
  std::ofstream(dir / "tiny" / "1" / "model.onnx", std::ios::binary) << model.SerializeAsString();
  std::ofstream(dir / "tiny" / "1" / "manifest.json") << R"({
  "name": "tiny", "version": 1, "task": "classification", "backend": "auto",
  "input": {"name": "input", "width": 8, "height": 8, "channels": 3, "layout": "NHWC"},
  "labels": ["a", "b", "c"],
  "outputs": {"probabilities": "probabilities", "embedding": "embedding", "embedding_size": 3},
  "preprocessing": {"color": "RGB", "resize": "stretch", "scale": 0.00392156862745098,
                    "mean": [0, 0, 0], "std": [1, 1, 1]}
})";
}

struct Server {
  fs::path dir;
  std::unique_ptr<vigil::ClassificationService> service;
  std::unique_ptr<vigil::server::RequestMetrics> metrics;
  std::unique_ptr<vigil::server::HttpServer> http;
};

Server* Start() {
  auto* s = new Server;  // lives for the whole process (the fuzzer exits without unwinding)
  s->dir = fs::temp_directory_path() / ("vigil-http-fuzz-" + std::to_string(::getpid()));
  WriteTinyClassifier(s->dir);
  vigil::server::ServerConfig config;
  config.api_keys = {{"fuzz-read", vigil::server::Role::kRead}};
  config.max_body_bytes = 1 << 20;
  config.max_images_per_request = 4;
  config.jobs.enabled = false;
  config.service.common.repository = s->dir.string();
  config.service.models = {"tiny"};
  config.service.default_model = "tiny";
  config.service.workers = 1;
  config.service.common.decode.max_pixels = 1'000'000;
  config.service.common.decode.max_decode_bytes = 32 << 20;
  vigil::server::NormalizeServerConfig(&config);
  auto service = vigil::ClassificationService::Create(config.service);
  if (!service.ok()) {
    std::fprintf(stderr, "http_request_fuzz: %s\n", service.status().ToString().c_str());
    std::abort();
  }
  s->service = std::move(*service);
  s->metrics = std::make_unique<vigil::server::RequestMetrics>(s->service->metrics());
  auto router = std::make_unique<vigil::server::Router>(config.api_keys, s->metrics.get(), config.max_body_bytes);
  vigil::Status registered = vigil::server::RegisterAllRoutes(*router, config, s->service.get(), {});
  auto http = registered.ok() ? vigil::server::HttpServer::Create(config, std::move(router), &s->service->metrics())
                              : vigil::Result<std::unique_ptr<vigil::server::HttpServer>>(registered);
  if (!http.ok()) {
    std::fprintf(stderr, "http_request_fuzz: %s\n", http.status().ToString().c_str());
    std::abort();
  }
  s->http = std::move(*http);
  std::error_code ignored;
  fs::remove_all(s->dir, ignored);  // the model is loaded; nothing reads the directory again
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Server* server = Start();
  httplib::detail::BufferStream stream;
  stream.write(reinterpret_cast<const char*>(data), size);
  server->http->ServeStream(stream);
  // The answer follows the request in the buffer: "HTTP/1.1 NNN ...".
  const std::string& buffer = stream.get_buffer();
  if (buffer.size() >= size + 12 && buffer.compare(size + 9, 3, "500") == 0) {
    std::fprintf(stderr, "http_request_fuzz: 500 answer:\n%s\n", buffer.substr(size, 2000).c_str());
    std::abort();
  }
  return 0;
}
