// Transfer learning: train a new classification head on a frozen pretrained backbone and install
// backbone + head as one ONNX model in the model repository, which ImageClassifier (and
// `vigil classify`) then loads like any other model.
//
//   vigil::TrainOptions options;
//   options.data = "photos";                  // photos/<class>/*.jpg, or photos/{train,test}/<class>/
//   options.model_repository = "models";
//   options.output_name = "my_classes";       // installed as models/my_classes/<next version>/
//   VIGIL_ASSIGN_OR_RETURN(vigil::TrainReport report, vigil::TrainClassifier(options));
//   // report.test.macro_f1, report.c, report.temperature, report.model_directory
//
// The head (see docs/architecture.md, "learn"): the backbone's penultimate embeddings (optionally
// standardised), a liblinear one-vs-rest logistic regression or linear SVM (C by stratified k-fold
// cross-validation on macro-F1), probabilities = softmax((W z + b) / T) with the temperature T
// fitted on held-out data. The exported model computes exactly that (standardisation and T folded
// into one Gemm, then Softmax).
// Thread-safety: TrainClassifier may run concurrently with itself on different outputs; the
// progress callback is called from worker threads (serialise inside it if needed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct TrainOptions {
  // Training data: a folder per class, or a folder with train/ and test/ class trees (the test
  // split is then evaluated), or a CSV of "path,label" rows.
  std::string data;
  // Model repository holding the backbone; the trained model is installed there too.
  std::string model_repository = "models";
  std::string backbone = "nsfw_mobilenet_v2";
  int backbone_version = 0;  // 0 = latest
  // Name and version of the new model (version 0 = next free). Required unless !install.
  std::string output_name;
  int output_version = 0;
  bool overwrite = false;  // replace an existing output version
  bool install = true;     // false: train and evaluate only (no export)
  // "logistic" or "linear-svm"; feature normalisation "none" (default: best cross-validated
  // macro-F1 on MobileNetV2 embeddings), "standardize", or "l2" (not exportable yet).
  std::string head = "logistic";
  std::string normalization = "none";
  // Candidate C values for cross-validation (empty = 0.001 .. 100 in 1-3 steps); k folds.
  std::vector<double> c_grid;
  int folds = 5;
  bool balance_classes = true;  // class weights n / (K * n_k)
  // Training-image augmentation: "crop,flip,jitter" (any subset; "" = none), and the number of
  // embeddings per training image: the original plus views - 1 augmented copies.
  std::string augment;
  int views = 1;
  // Fraction of the training images (stratified) held out for temperature scaling and reporting;
  // 0 = fit the temperature on out-of-fold cross-validation scores instead.
  double val_split = 0;
  uint64_t seed = 1;
  int threads = 2;        // embedding and cross-validation threads
  std::string backend = "auto";
  // Embedding cache folder ("" = none): one file per (file content, backbone, view, augmentation).
  std::string cache_dir;
  // If set, writes the evaluation report (eval.h WriteHtmlReport) of the test split (else the
  // validation split, else the training images) into this folder.
  std::string report_dir;
  // Progress: stage ("embed", "fit", "export"), done, total. Called from worker threads.
  std::function<void(const std::string& stage, size_t done, size_t total)> progress;
};

struct SplitScore {
  int count = 0;  // images (0 = split absent)
  double accuracy = 0;
  double macro_f1 = 0;
};

struct TrainReport {
  std::vector<std::string> classes;
  std::string backbone;  // "name:version"
  std::string model_name;
  int model_version = 0;
  std::string model_directory;  // empty when not installed
  double c = 0;                 // chosen regularisation parameter
  double cv_macro_f1 = 0;       // cross-validated macro-F1 at that C (0 if no CV)
  double temperature = 1;
  SplitScore train;       // the final head on the training images (original views)
  SplitScore validation;  // held-out part of the training data
  SplitScore test;        // the test/ split
  int embeddings_computed = 0;
  int embeddings_cached = 0;
  double embed_seconds = 0;
  double fit_seconds = 0;
  double total_seconds = 0;
  std::string report_directory;  // where the HTML report went, if written
};

Result<TrainReport> TrainClassifier(const TrainOptions& options);

}  // namespace vigil
