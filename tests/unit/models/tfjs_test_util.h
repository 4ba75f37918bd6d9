// Test helpers for the tfjs layers importer: a writer for tiny tfjs layers models (model.json +
// two weight shards, float32 / uint8 / uint16 / float16 weights), naive NHWC reference ops in
// plain loops, and an OpenCV DNN runner for the imported ONNX.
#pragma once

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <random>
#include <string>
#include <vector>

namespace vigil {
namespace tfjs_test {

namespace fs = std::filesystem;
using nlohmann::json;

// A fresh directory per test, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / ("vigil_tfjs_" + std::string(info->test_suite_name()) +
                                         "_" + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// float -> IEEE half for values that are exactly representable as normal halves (or zero).
inline uint16_t ExactHalf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  if ((bits & 0x7fffffffu) == 0) return sign;
  const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
  return static_cast<uint16_t>(sign | exponent << 10 | ((bits >> 13) & 0x3ffu));
}

enum class Storage { kFloat32, kUint8, kUint16, kFloat16 };

// Builds a Keras functional model config and its weights, then writes model.json + 2 shards.
class TfjsModelWriter {
 public:
  explicit TfjsModelWriter(uint32_t seed = 1) : rng_(seed) {}

  void Input(const std::string& name, int h, int w, int c) {
    layers_.push_back({{"name", name},
                       {"class_name", "InputLayer"},
                       {"config",
                        {{"batch_input_shape", {nullptr, h, w, c}},
                         {"dtype", "float32"},
                         {"sparse", false},
                         {"name", name}}},
                       {"inbound_nodes", json::array()}});
    if (input_.empty()) input_ = name;
  }

  void Layer(const std::string& class_name, const std::string& name, json config,
             const std::vector<std::string>& inbound) {
    config["name"] = name;
    config["trainable"] = false;
    json node = json::array();
    for (const std::string& in : inbound) node.push_back({in, 0, 0, json::object()});
    layers_.push_back({{"name", name},
                       {"class_name", class_name},
                       {"config", config},
                       {"inbound_nodes", json::array({node})}});
  }

  // Adds weight `name` with values drawn uniformly from [lo, hi], stored as `storage`. Returns the
  // values the importer must decode (the quantized ones for uint8/uint16/float16).
  std::vector<float> Weight(const std::string& name, const std::vector<int64_t>& shape, float lo,
                            float hi, Storage storage = Storage::kFloat32) {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    std::vector<float> values(n);
    json spec = {{"name", name}, {"shape", shape}, {"dtype", "float32"}};
    std::uniform_real_distribution<float> uniform(lo, hi);
    if (storage == Storage::kFloat32) {
      for (float& v : values) {
        v = uniform(rng_);
        Append(&v, 4);
      }
    } else if (storage == Storage::kFloat16) {
      std::uniform_int_distribution<int> steps(static_cast<int>(lo * 64),
                                               static_cast<int>(hi * 64));
      for (float& v : values) {
        v = static_cast<float>(steps(rng_)) / 64.0f;  // exact in half precision
        const uint16_t h = ExactHalf(v);
        Append(&h, 2);
      }
      spec["quantization"] = {{"dtype", "float16"}};
    } else {
      const bool u8 = storage == Storage::kUint8;
      const int levels = u8 ? 255 : 65535;
      const double min = lo, scale = (static_cast<double>(hi) - lo) / levels;
      std::uniform_int_distribution<int> q(0, levels);
      for (float& v : values) {
        const int k = q(rng_);
        v = static_cast<float>(k * scale + min);  // tfjs's arithmetic
        if (u8) {
          const uint8_t b = static_cast<uint8_t>(k);
          Append(&b, 1);
        } else {
          const uint16_t b = static_cast<uint16_t>(k);
          Append(&b, 2);
        }
      }
      spec["quantization"] = {{"dtype", u8 ? "uint8" : "uint16"}, {"min", min}, {"scale", scale}};
    }
    weights_.push_back(spec);
    return values;
  }

  json ModelJson(const std::string& output) const {
    json config = {{"name", "test_model"},
                   {"layers", layers_},
                   {"input_layers", {{input_, 0, 0}}},
                   {"output_layers", {{output, 0, 0}}}};
    return {{"format", "layers-model"},
            {"modelTopology",
             {{"keras_version", "2.2.4"},
              {"backend", "tensorflow"},
              {"model_config", {{"class_name", "Model"}, {"config", config}}}}},
            {"weightsManifest",
             {{{"paths", {"group1-shard1of2", "group1-shard2of2"}}, {"weights", weights_}}}}};
  }

  // Writes dir/model.json and the shards (the bytes split in two, so weights span shards).
  std::string Write(const fs::path& dir, const std::string& output) const {
    const size_t half = bytes_.size() / 2;
    WriteFile((dir / "group1-shard1of2").string(), bytes_.substr(0, half));
    WriteFile((dir / "group1-shard2of2").string(), bytes_.substr(half));
    const std::string path = (dir / "model.json").string();
    WriteFile(path, ModelJson(output).dump());
    return path;
  }

  std::mt19937& rng() { return rng_; }

 private:
  void Append(const void* p, size_t n) { bytes_.append(static_cast<const char*>(p), n); }

  std::mt19937 rng_;
  std::string input_;
  json layers_ = json::array();
  json weights_ = json::array();
  std::string bytes_;
};

// ---------------------------------------------------------------------------------------------
// Reference ops on NHWC tensors (plain loops, double accumulation). Vectors are h = w = 1.

struct Nhwc {
  int n = 0, h = 0, w = 0, c = 0;
  std::vector<float> v;
  Nhwc() = default;
  Nhwc(int n_, int h_, int w_, int c_) : n(n_), h(h_), w(w_), c(c_), v(size_t(n_) * h_ * w_ * c_) {}
  float& at(int b, int y, int x, int ch) { return v[((size_t(b) * h + y) * w + x) * c + ch]; }
  float at(int b, int y, int x, int ch) const { return v[((size_t(b) * h + y) * w + x) * c + ch]; }
};

inline Nhwc RandomInput(std::mt19937& rng, int n, int h, int w, int c, float lo, float hi) {
  Nhwc t(n, h, w, c);
  std::uniform_real_distribution<float> u(lo, hi);
  for (float& x : t.v) x = u(rng);
  return t;
}

struct Padding {
  int out, begin;
};

// TF output size and leading padding of one dimension.
inline Padding TfWindow(int in, int k, int s, int d, bool same) {
  const int eff = (k - 1) * d + 1;
  if (!same) return {(in - eff) / s + 1, 0};
  const int out = (in + s - 1) / s;
  const int total = std::max((out - 1) * s + eff - in, 0);
  return {out, total / 2};
}

// kernel HWIO [kh, kw, ci, co].
inline Nhwc RefConv(const Nhwc& x, const std::vector<float>& k, int kh, int kw, int co,
                    const std::vector<float>* bias, int s, int d, bool same) {
  const Padding ph = TfWindow(x.h, kh, s, d, same), pw = TfWindow(x.w, kw, s, d, same);
  Nhwc y(x.n, ph.out, pw.out, co);
  for (int b = 0; b < x.n; ++b)
    for (int oy = 0; oy < y.h; ++oy)
      for (int ox = 0; ox < y.w; ++ox)
        for (int o = 0; o < co; ++o) {
          double acc = bias ? (*bias)[o] : 0.0;
          for (int ky = 0; ky < kh; ++ky)
            for (int kx = 0; kx < kw; ++kx) {
              const int iy = oy * s - ph.begin + ky * d, ix = ox * s - pw.begin + kx * d;
              if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
              for (int i = 0; i < x.c; ++i)
                acc += double(x.at(b, iy, ix, i)) * k[((size_t(ky) * kw + kx) * x.c + i) * co + o];
            }
          y.at(b, oy, ox, o) = static_cast<float>(acc);
        }
  return y;
}

// depthwise kernel [kh, kw, C, M]; output channel c*M + m.
inline Nhwc RefDepthwise(const Nhwc& x, const std::vector<float>& k, int kh, int kw, int m,
                         const std::vector<float>* bias, int s, bool same) {
  const Padding ph = TfWindow(x.h, kh, s, 1, same), pw = TfWindow(x.w, kw, s, 1, same);
  Nhwc y(x.n, ph.out, pw.out, x.c * m);
  for (int b = 0; b < x.n; ++b)
    for (int oy = 0; oy < y.h; ++oy)
      for (int ox = 0; ox < y.w; ++ox)
        for (int ch = 0; ch < x.c; ++ch)
          for (int q = 0; q < m; ++q) {
            double acc = bias ? (*bias)[ch * m + q] : 0.0;
            for (int ky = 0; ky < kh; ++ky)
              for (int kx = 0; kx < kw; ++kx) {
                const int iy = oy * s - ph.begin + ky, ix = ox * s - pw.begin + kx;
                if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
                acc += double(x.at(b, iy, ix, ch)) * k[((size_t(ky) * kw + kx) * x.c + ch) * m + q];
              }
            y.at(b, oy, ox, ch * m + q) = static_cast<float>(acc);
          }
  return y;
}

inline Nhwc RefPool(const Nhwc& x, int k, int s, bool same, bool max) {
  const Padding ph = TfWindow(x.h, k, s, 1, same), pw = TfWindow(x.w, k, s, 1, same);
  Nhwc y(x.n, ph.out, pw.out, x.c);
  for (int b = 0; b < x.n; ++b)
    for (int oy = 0; oy < y.h; ++oy)
      for (int ox = 0; ox < y.w; ++ox)
        for (int ch = 0; ch < x.c; ++ch) {
          double acc = max ? -INFINITY : 0.0;
          int count = 0;
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int iy = oy * s - ph.begin + ky, ix = ox * s - pw.begin + kx;
              if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;  // TF ignores padding
              const double v = x.at(b, iy, ix, ch);
              acc = max ? std::max(acc, v) : acc + v;
              ++count;
            }
          y.at(b, oy, ox, ch) = static_cast<float>(max ? acc : acc / count);
        }
  return y;
}

inline Nhwc RefGlobalAverage(const Nhwc& x) {
  Nhwc y(x.n, 1, 1, x.c);
  for (int b = 0; b < x.n; ++b)
    for (int ch = 0; ch < x.c; ++ch) {
      double acc = 0;
      for (int i = 0; i < x.h; ++i)
        for (int j = 0; j < x.w; ++j) acc += x.at(b, i, j, ch);
      y.at(b, 0, 0, ch) = static_cast<float>(acc / (x.h * x.w));
    }
  return y;
}

inline Nhwc RefBatchNorm(const Nhwc& x, const std::vector<float>& gamma,
                         const std::vector<float>& beta, const std::vector<float>& mean,
                         const std::vector<float>& var, float eps) {
  Nhwc y = x;
  for (size_t i = 0; i < y.v.size(); ++i) {
    const size_t ch = i % x.c;
    y.v[i] = static_cast<float>(
        (double(x.v[i]) - mean[ch]) / std::sqrt(double(var[ch]) + eps) * gamma[ch] + beta[ch]);
  }
  return y;
}

inline Nhwc RefClip(Nhwc x, float lo, float hi) {
  for (float& v : x.v) v = std::min(std::max(v, lo), hi);
  return x;
}

inline Nhwc RefMap(Nhwc x, float (*f)(float)) {
  for (float& v : x.v) v = f(v);
  return x;
}

inline float Sigmoid(float v) { return static_cast<float>(1.0 / (1.0 + std::exp(-double(v)))); }
inline float Tanh(float v) { return std::tanh(v); }

inline Nhwc RefZeroPad(const Nhwc& x, int top, int bottom, int left, int right) {
  Nhwc y(x.n, x.h + top + bottom, x.w + left + right, x.c);
  for (int b = 0; b < x.n; ++b)
    for (int i = 0; i < x.h; ++i)
      for (int j = 0; j < x.w; ++j)
        for (int ch = 0; ch < x.c; ++ch) y.at(b, i + top, j + left, ch) = x.at(b, i, j, ch);
  return y;
}

inline Nhwc RefAdd(Nhwc a, const Nhwc& b) {
  for (size_t i = 0; i < a.v.size(); ++i) a.v[i] += b.v[i];
  return a;
}

// Concatenation over channels (the last axis).
inline Nhwc RefConcat(const std::vector<Nhwc>& parts) {
  int c = 0;
  for (const Nhwc& p : parts) c += p.c;
  Nhwc y(parts[0].n, parts[0].h, parts[0].w, c);
  for (int b = 0; b < y.n; ++b)
    for (int i = 0; i < y.h; ++i)
      for (int j = 0; j < y.w; ++j) {
        int off = 0;
        for (const Nhwc& p : parts) {
          for (int ch = 0; ch < p.c; ++ch) y.at(b, i, j, off + ch) = p.at(b, i, j, ch);
          off += p.c;
        }
      }
  return y;
}

// Keras Flatten of NHWC: the row-major order, as a [N, 1, 1, H*W*C] vector.
inline Nhwc RefFlatten(Nhwc x) {
  x.c = x.h * x.w * x.c;
  x.h = x.w = 1;
  return x;
}

// kernel [in, out].
inline Nhwc RefDense(const Nhwc& x, const std::vector<float>& k, const std::vector<float>& bias,
                     int out) {
  Nhwc y(x.n, 1, 1, out);
  for (int b = 0; b < x.n; ++b)
    for (int o = 0; o < out; ++o) {
      double acc = bias.empty() ? 0.0 : bias[o];
      for (int i = 0; i < x.c; ++i)
        acc += double(x.v[size_t(b) * x.c + i]) * k[size_t(i) * out + o];
      y.v[size_t(b) * out + o] = static_cast<float>(acc);
    }
  return y;
}

inline Nhwc RefSoftmax(Nhwc x) {
  for (size_t base = 0; base < x.v.size(); base += x.c) {
    double mx = -INFINITY, sum = 0;
    for (int i = 0; i < x.c; ++i) mx = std::max(mx, double(x.v[base + i]));
    for (int i = 0; i < x.c; ++i) sum += std::exp(double(x.v[base + i]) - mx);
    for (int i = 0; i < x.c; ++i)
      x.v[base + i] = static_cast<float>(std::exp(double(x.v[base + i]) - mx) / sum);
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Running the ONNX with OpenCV DNN.

// Runs `onnx_path` on an NHWC input and returns the requested outputs as flat vectors.
inline std::vector<std::vector<float>> RunOpenCv(const std::string& onnx_path,
                                                 const std::string& input_name, const Nhwc& input,
                                                 const std::vector<std::string>& outputs) {
  cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx_path);
  int dims[4] = {input.n, input.h, input.w, input.c};
  cv::Mat blob(4, dims, CV_32F, const_cast<float*>(input.v.data()));
  net.setInput(blob, input_name);
  std::vector<cv::Mat> mats;
  std::vector<cv::String> names(outputs.begin(), outputs.end());
  net.forward(mats, names);
  std::vector<std::vector<float>> result;
  for (const cv::Mat& m : mats) {
    cv::Mat c = m.isContinuous() ? m : m.clone();
    result.emplace_back(c.ptr<float>(), c.ptr<float>() + c.total());
  }
  return result;
}

inline float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  float d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

inline onnx::ModelProto LoadOnnx(const std::string& path) {
  onnx::ModelProto model;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(model.ParseFromIstream(&in)) << path;
  return model;
}

}  // namespace tfjs_test
}  // namespace vigil
