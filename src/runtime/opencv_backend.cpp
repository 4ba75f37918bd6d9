// OpenCV DNN backend (fallback for any ONNX model): the Backend keeps the model bytes and graph
// input/output names; each Session parses its own cv::dnn::Net (a Net is not thread-safe) on
// DNN_BACKEND_OPENCV / DNN_TARGET_CPU. Threads: OpenCV's thread pool is process-global
// (cv::setNumThreads), so this backend never changes it and ignores SessionOptions.threads; the
// application may call cv::setNumThreads once at start-up. All cv::Exception stop here.
// The model is first rewritten into OpenCV 4.6's ONNX dialect (opencv_compat.h).
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <fstream>
#include <memory>

#include "runtime/backend.h"
#include "runtime/onnx_graph.h"
#include "runtime/opencv_compat.h"

namespace vigil {

namespace {

class OpenCvSession : public Session {
 public:
  OpenCvSession(cv::dnn::Net net, std::shared_ptr<const OnnxGraph> graph, int max_batch)
      : net_(std::move(net)), graph_(std::move(graph)), max_batch_(max_batch) {
    for (const auto& o : graph_->outputs) output_names_.push_back(o.name);
  }

  Status Run(const Tensor& input, std::vector<Tensor>* outputs) override {
    const std::vector<int64_t>& want = graph_->inputs[0].shape;
    bool ok = input.shape.size() == want.size() && !input.shape.empty();
    for (size_t d = 1; ok && d < want.size(); ++d) ok = want[d] < 0 || input.shape[d] == want[d];
    if (!ok) {
      return InvalidArgumentError("input '" + graph_->inputs[0].name + "' has shape " + ShapeToString(input.shape) +
                                  ", expected " + ShapeToString(want) + " (-1: any)");
    }
    if (input.shape[0] < 1 || input.shape[0] > max_batch_) {
      return InvalidArgumentError("batch " + std::to_string(input.shape[0]) + " is outside 1.." +
                                  std::to_string(max_batch_) + " (SessionOptions.max_batch)");
    }
    if (static_cast<int64_t>(input.data.size()) != Tensor::NumElements(input.shape)) {
      return InvalidArgumentError("input data size does not match shape " + ShapeToString(input.shape));
    }
    try {
      std::vector<int> dims(input.shape.begin(), input.shape.end());
      // The Mat borrows the caller's data; setInput copies it into the network.
      cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F, const_cast<float*>(input.data.data()));
      net_.setInput(blob);
      std::vector<cv::Mat> results;
      net_.forward(results, output_names_);
      outputs->clear();
      for (size_t i = 0; i < results.size(); ++i) {
        cv::Mat m = results[i].isContinuous() ? results[i] : results[i].clone();
        if (m.type() != CV_32F) m.convertTo(m, CV_32F);
        Tensor t;
        t.name = output_names_[i];
        for (int d = 0; d < m.dims; ++d) t.shape.push_back(m.size[d]);
        t.data.assign(m.ptr<float>(), m.ptr<float>() + m.total());
        outputs->push_back(std::move(t));
      }
    } catch (const cv::Exception& e) {
      return InternalError(std::string("OpenCV DNN forward failed: ") + e.what());
    }
    return Status::Ok();
  }

 private:
  cv::dnn::Net net_;
  std::shared_ptr<const OnnxGraph> graph_;
  int max_batch_;
  std::vector<std::string> output_names_;
};

class OpenCvBackend : public Backend {
 public:
  OpenCvBackend(std::string bytes, std::shared_ptr<const OnnxGraph> graph, std::string source)
      : bytes_(std::move(bytes)), graph_(std::move(graph)), source_(std::move(source)) {}

  BackendKind kind() const override { return BackendKind::kOpenCv; }

  Result<std::unique_ptr<Session>> CreateSession(const SessionOptions& options) const override {
    VIGIL_RETURN_IF_ERROR(ValidateSessionOptions(options));
    VIGIL_ASSIGN_OR_RETURN(cv::dnn::Net net, ReadNet());
    return std::unique_ptr<Session>(std::make_unique<OpenCvSession>(std::move(net), graph_, options.max_batch));
  }

  Result<cv::dnn::Net> ReadNet() const {
    try {
      cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes_.data(), bytes_.size());
      if (net.empty()) return UnsupportedError(source_ + ": OpenCV DNN could not build the network");
      net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
      return net;
    } catch (const cv::Exception& e) {
      return UnsupportedError(source_ + ": OpenCV DNN cannot import the model: " + e.what());
    }
  }

 private:
  std::string bytes_;
  std::shared_ptr<const OnnxGraph> graph_;
  std::string source_;
};

}  // namespace

Result<std::unique_ptr<Backend>> CreateOpenCvBackend(const std::string& onnx_path) {
  std::ifstream in(onnx_path, std::ios::binary);
  if (!in) return NotFoundError("cannot open ONNX model '" + onnx_path + "'");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  VIGIL_ASSIGN_OR_RETURN(OnnxGraph graph, ParseOnnxGraph(bytes, onnx_path));
  VIGIL_ASSIGN_OR_RETURN(bytes, MakeOpenCvCompatibleOnnx(bytes, onnx_path));
  graph.initializers.clear();  // only names and shapes are needed here
  graph.nodes.clear();
  auto backend = std::make_unique<OpenCvBackend>(std::move(bytes), std::make_shared<const OnnxGraph>(std::move(graph)),
                                                 onnx_path);
  // Import once now so that an unsupported model fails at load time, not at the first session.
  VIGIL_ASSIGN_OR_RETURN(cv::dnn::Net probe, backend->ReadNet());
  (void)probe;
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace vigil
