// tfjs layers importer errors: each names the layer/field/file, and nothing is written on failure.
#include <gtest/gtest.h>

#include "models/tfjs_layers_import.h"
#include "tfjs_test_util.h"

namespace vigil {
namespace {

using namespace tfjs_test;  // NOLINT(build/namespaces)

// input (4x4x2) -> conv (3 filters, 3x3 same) -> flatten; `conv_config` is merged into the conv's.
TfjsModelWriter SmallModel(const json& conv_config = json::object()) {
  TfjsModelWriter m;
  m.Input("input_1", 4, 4, 2);
  json config = {{"filters", 3}, {"kernel_size", 3}, {"padding", "same"}, {"use_bias", true}};
  config.update(conv_config);
  m.Layer("Conv2D", "conv", config, {"input_1"});
  m.Weight("conv/kernel", {3, 3, 2, 3}, -1, 1);
  m.Weight("conv/bias", {3}, -1, 1);
  m.Layer("Flatten", "flatten", json::object(), {"conv"});
  return m;
}

class TfjsImportErrors : public ::testing::Test {
 protected:
  // Imports dir/model.json; expects failure with `code` and a message containing `text`, and no
  // output file.
  void ExpectError(StatusCode code, const std::string& text,
                   const TfjsImportOptions& options = {}) {
    const std::string onnx = dir_ / "model.onnx";
    Result<TfjsImportInfo> info = ImportTfjsLayersModel(dir_ / "model.json", onnx, options);
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.status().code(), code) << info.status().ToString();
    EXPECT_NE(info.status().message().find(text), std::string::npos)
        << "\"" << text << "\" not in: " << info.status().ToString();
    EXPECT_FALSE(fs::exists(onnx));
    EXPECT_FALSE(fs::exists(onnx + ".tmp"));
  }
  json ReadModelJson() { return json::parse(ReadFile(dir_ / "model.json")); }
  void WriteModelJson(const json& j) { WriteFile(dir_ / "model.json", j.dump()); }

  ScratchDir dir_;
};

TEST_F(TfjsImportErrors, SmallModelImports) {
  SmallModel().Write(dir_.path(), "flatten");
  Result<TfjsImportInfo> info = ImportTfjsLayersModel(dir_ / "model.json", dir_ / "model.onnx");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(fs::exists(dir_ / "model.onnx"));
}

TEST_F(TfjsImportErrors, UnsupportedLayerClassIsNamed) {
  TfjsModelWriter m = SmallModel();
  m.Layer("LSTM", "lstm_1", {{"units", 4}}, {"flatten"});
  m.Write(dir_.path(), "lstm_1");
  ExpectError(StatusCode::kUnsupported, "layer \"lstm_1\" (LSTM): layer class not supported");
}

TEST_F(TfjsImportErrors, ChannelsFirstIsNamed) {
  SmallModel({{"data_format", "channels_first"}}).Write(dir_.path(), "flatten");
  ExpectError(StatusCode::kUnsupported, "layer \"conv\" (Conv2D): data_format \"channels_first\"");
}

TEST_F(TfjsImportErrors, UnknownActivationIsNamed) {
  SmallModel({{"activation", "elu"}}).Write(dir_.path(), "flatten");
  ExpectError(StatusCode::kUnsupported, "layer \"conv\" (Conv2D): activation \"elu\"");
}

TEST_F(TfjsImportErrors, DilationWithStrideIsUnsupported) {
  SmallModel({{"dilation_rate", 2}, {"strides", 2}}).Write(dir_.path(), "flatten");
  ExpectError(StatusCode::kUnsupported, "layer \"conv\" (Conv2D): dilation_rate");
}

TEST_F(TfjsImportErrors, CausalPaddingIsUnsupported) {
  SmallModel({{"padding", "causal"}}).Write(dir_.path(), "flatten");
  ExpectError(StatusCode::kUnsupported, "padding \"causal\"");
}

TEST_F(TfjsImportErrors, MalformedFieldIsNamed) {
  SmallModel({{"strides", "two"}}).Write(dir_.path(), "flatten");
  ExpectError(StatusCode::kInvalidArgument, "layer \"conv\" (Conv2D): field \"strides\"");
}

TEST_F(TfjsImportErrors, ReluThresholdIsUnsupported) {
  TfjsModelWriter m = SmallModel();
  m.Layer("ReLU", "relu", {{"threshold", 0.5}}, {"flatten"});
  m.Write(dir_.path(), "relu");
  ExpectError(StatusCode::kUnsupported, "layer \"relu\" (ReLU): threshold 0.5");
}

TEST_F(TfjsImportErrors, TruncatedShard) {
  SmallModel().Write(dir_.path(), "flatten");
  const std::string shard = dir_ / "group1-shard2of2";
  const std::string bytes = ReadFile(shard);
  WriteFile(shard, bytes.substr(0, bytes.size() - 3));
  ExpectError(StatusCode::kDataLoss, "truncated shard");
}

TEST_F(TfjsImportErrors, OverlongShard) {
  SmallModel().Write(dir_.path(), "flatten");
  const std::string shard = dir_ / "group1-shard2of2";
  WriteFile(shard, ReadFile(shard) + "xxxx");
  ExpectError(StatusCode::kDataLoss, "shards hold");
}

TEST_F(TfjsImportErrors, MissingShard) {
  SmallModel().Write(dir_.path(), "flatten");
  fs::remove(dir_ / "group1-shard1of2");
  ExpectError(StatusCode::kNotFound, "group1-shard1of2");
}

TEST_F(TfjsImportErrors, ShardPathOutsideTheModelFolder) {
  SmallModel().Write(dir_.path(), "flatten");
  json j = ReadModelJson();
  j["weightsManifest"][0]["paths"][0] = "../group1-shard1of2";
  WriteModelJson(j);
  ExpectError(StatusCode::kInvalidArgument, "must not leave model.json's folder");
}

TEST_F(TfjsImportErrors, MalformedJson) {
  SmallModel().Write(dir_.path(), "flatten");
  const std::string text = ReadFile(dir_ / "model.json");
  WriteFile(dir_ / "model.json", text.substr(0, text.size() / 2));
  ExpectError(StatusCode::kInvalidArgument, "malformed JSON");
}

TEST_F(TfjsImportErrors, MissingModelJson) { ExpectError(StatusCode::kNotFound, "model.json"); }

TEST_F(TfjsImportErrors, WrongTypesInTopology) {
  SmallModel().Write(dir_.path(), "flatten");
  json j = ReadModelJson();
  j["modelTopology"]["model_config"]["config"]["layers"] = 42;
  WriteModelJson(j);
  ExpectError(StatusCode::kInvalidArgument, "\"layers\"");
}

TEST_F(TfjsImportErrors, WeightShapeMismatch) {
  SmallModel().Write(dir_.path(), "flatten");
  json j = ReadModelJson();
  j["weightsManifest"][0]["weights"][0]["shape"] = {3, 3, 3, 2};  // same count, wrong shape
  WriteModelJson(j);
  ExpectError(StatusCode::kInvalidArgument,
              "weight \"conv/kernel\" has shape [3, 3, 3, 2], expected [3, 3, 2, 3]");
}

TEST_F(TfjsImportErrors, MissingWeight) {
  TfjsModelWriter m;
  m.Input("input_1", 4, 4, 2);
  m.Layer("Conv2D", "conv", {{"filters", 3}, {"kernel_size", 3}}, {"input_1"});
  m.Weight("conv/kernel", {3, 3, 2, 3}, -1, 1);  // no bias
  m.Layer("Flatten", "flatten", json::object(), {"conv"});
  m.Write(dir_.path(), "flatten");
  ExpectError(StatusCode::kInvalidArgument,
              "layer \"conv\" (Conv2D): weight \"conv/bias\" not found");
}

TEST_F(TfjsImportErrors, UnusedWeight) {
  TfjsModelWriter m = SmallModel();
  m.Weight("stray/kernel", {2}, -1, 1);
  m.Write(dir_.path(), "flatten");
  ExpectError(StatusCode::kInvalidArgument, "\"stray/kernel\"");
}

TEST_F(TfjsImportErrors, UnsupportedWeightDtype) {
  SmallModel().Write(dir_.path(), "flatten");
  json j = ReadModelJson();
  j["weightsManifest"][0]["weights"][1]["dtype"] = "int32";
  WriteModelJson(j);
  ExpectError(StatusCode::kUnsupported, "weight \"conv/bias\": dtype \"int32\"");
}

TEST_F(TfjsImportErrors, GraphModelIsUnsupported) {
  SmallModel().Write(dir_.path(), "flatten");
  json j = ReadModelJson();
  j["format"] = "graph-model";
  WriteModelJson(j);
  ExpectError(StatusCode::kUnsupported, "graph-model");
}

TEST_F(TfjsImportErrors, SharedLayerIsUnsupported) {
  SmallModel().Write(dir_.path(), "flatten");
  json j = ReadModelJson();
  json& conv = j["modelTopology"]["model_config"]["config"]["layers"][1];
  conv["inbound_nodes"].push_back(conv["inbound_nodes"][0]);
  WriteModelJson(j);
  ExpectError(StatusCode::kUnsupported, "layer \"conv\" (Conv2D): called 2 times");
}

TEST_F(TfjsImportErrors, OutputMustBeAVector) {
  SmallModel().Write(dir_.path(), "conv");
  ExpectError(StatusCode::kUnsupported, "output layer \"conv\" gives [N, 4, 4, 3]");
}

TEST_F(TfjsImportErrors, EmbeddingLayerMustExistAndBeAVector) {
  SmallModel().Write(dir_.path(), "flatten");
  TfjsImportOptions options;
  options.embedding_layer = "nope";
  ExpectError(StatusCode::kInvalidArgument, "embedding layer \"nope\" not found", options);
  options.embedding_layer = "conv";
  ExpectError(StatusCode::kInvalidArgument, "embedding layer \"conv\" gives [N, 4, 4, 3]", options);
}

TEST_F(TfjsImportErrors, WeightLimit) {
  SmallModel().Write(dir_.path(), "flatten");
  TfjsImportOptions options;
  options.max_weight_bytes = 100;  // the model has (54 + 3) * 4 bytes
  ExpectError(StatusCode::kResourceExhausted, "over the limit of 100", options);
}

TEST_F(TfjsImportErrors, UnsupportedOpset) {
  SmallModel().Write(dir_.path(), "flatten");
  TfjsImportOptions options;
  options.opset = 9;
  ExpectError(StatusCode::kInvalidArgument, "opset 9", options);
}

TEST_F(TfjsImportErrors, DenseOnAnImageNeedsFlatten) {
  TfjsModelWriter m;
  m.Input("input_1", 2, 2, 2);
  m.Layer("Dense", "dense", {{"units", 3}}, {"input_1"});
  m.Weight("dense/kernel", {2, 3}, -1, 1);
  m.Weight("dense/bias", {3}, -1, 1);
  m.Write(dir_.path(), "dense");
  ExpectError(StatusCode::kUnsupported, "layer \"dense\" (Dense): input shape [2, 2, 2]");
}

}  // namespace
}  // namespace vigil
