// Transfer learning and classical baselines: train a classification head on frozen features (a
// pretrained backbone's embeddings, the classical descriptors of features.h, or both) and install
// it in the model repository, which ImageClassifier (and `vigil classify`, `vigil eval`) then loads
// like any other model.
//
//   vigil::TrainOptions options;
//   options.data = "photos";                  // photos/<class>/*.jpg, or photos/{train,test}/<class>/
//   options.backbone_model.repository = "models";
//   options.output_name = "my_classes";       // installed as models/my_classes/<next version>/
//   VIGIL_ASSIGN_OR_RETURN(vigil::TrainReport report, vigil::TrainClassifier(options));
//   // report.test.macro_f1, report.head_description, report.model_directory
//
// Heads (docs/learn.md): "logistic" / "linear-svm" (liblinear, C by stratified k-fold CV on
// macro-F1, softmax((W z + b) / T) with T fitted on held-out scores), "rbf-svm" (libsvm, C and
// gamma by CV, Platt/pairwise-coupling probabilities), "knn" (faiss, metric and k by CV,
// distance-weighted votes), "prototype" (class means of L2-normalised vectors, cosine x scale).
// Export: a linear or prototype head on one ONNX backbone becomes ONE ONNX file (backbone + head +
// softmax); every other model is model.onnx (if an ONNX backbone is used) + a head file
// (docs/model-repository.md).
// Thread-safety: TrainClassifier may run concurrently with itself on different outputs; the
// progress callback is called from worker threads (serialise inside it if needed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vigil/model_selection.h"
#include "vigil/status.h"

namespace vigil {

struct TrainOptions {
  // Training data: a folder per class, or a folder with train/ and test/ class trees (the test
  // split is then evaluated), or a CSV of "path,label" rows.
  std::string data;
  // Comma-separated feature sources, concatenated: at most one repository model NAME[:VERSION]
  // ("mobilenet_v2" / "inception_v3" also name the nsfw_ models) and/or "classical" (the 2641
  // descriptors of features.h).
  std::string backbone = "nsfw_mobilenet_v2";
  // How the backbone model is found and run: repository (the trained model is installed there
  // too), version when `backbone` names none (0 = latest), backend, threads per session, decoding
  // limits. Its name comes from `backbone`.
  ModelSelection backbone_model;
  // Name and version of the new model (version 0 = next free). Required unless !install.
  std::string output_name;
  int output_version = 0;
  bool overwrite = false;  // replace an existing output version
  bool install = true;     // false: train and evaluate only (no export)
  // "logistic", "linear-svm", "rbf-svm", "knn" or "prototype".
  std::string head = "logistic";
  // Feature normalisation before the head: "auto", "none", "standardize" or "l2". auto = none
  // for linear heads on one ONNX backbone (best cross-validated macro-F1 on MobileNetV2), else
  // standardize for linear and RBF heads, none for k-NN; prototypes always L2-normalise.
  std::string normalization = "auto";
  // Candidate values for cross-validation (empty = the head's default grid; one value = no CV):
  // C (linear and RBF heads), gamma as a multiple of 1/D (RBF), k (k-NN).
  std::vector<double> c_grid;
  std::vector<double> gamma_grid;
  std::vector<int> k_grid;
  int folds = 5;
  bool balance_classes = true;  // class weights n / (K * n_k)
  // Few-shot: use only this many training images per class, drawn with `seed` (0 = all).
  int shots = 0;
  // Training-image augmentation: "crop,flip,jitter" (any subset; "" = none), and the number of
  // embeddings per training image: the original plus views - 1 augmented copies.
  std::string augment;
  int views = 1;
  // Fraction of the training images (stratified) held out for temperature scaling and reporting;
  // 0 = fit the temperature on out-of-fold cross-validation scores instead (linear heads).
  double val_split = 0;
  uint64_t seed = 1;
  int threads = 2;        // embedding and cross-validation threads
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
  std::string backbone;  // e.g. "nsfw_mobilenet_v2:1", "classical", "nsfw_mobilenet_v2:1+classical"
  std::string head;      // head type, e.g. "rbf-svm"
  std::string head_description;  // e.g. "rbf-svm (C=10, gamma=0.000379, 301 support vectors, standardize)"
  std::string model_name;
  int model_version = 0;
  std::string model_directory;  // empty when not installed
  std::string export_format;    // "onnx" (one file) or "head file" (model.onnx if any + head.json)
  int feature_dim = 0;
  double c = 0;                 // chosen C (linear and RBF heads)
  double gamma = 0;             // chosen gamma (RBF)
  int k = 0;                    // chosen k (k-NN)
  double cv_macro_f1 = 0;       // cross-validated macro-F1 of the chosen parameters (0 if no CV)
  double temperature = 1;       // linear heads; 1 / scale for prototypes
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

// Few-shot evaluation curve: for each K in `shots` and each of `seeds` seeds (options.seed,
// options.seed + 1, ...), a prototype head on K training images per class, scored on the test
// split (required). Embeddings are computed once (options.cache_dir reused if set); options.head,
// views and install are ignored.
struct FewShotPoint {
  int shots = 0;
  int runs = 0;
  double accuracy_mean = 0, accuracy_sd = 0;  // sample standard deviation over the seeds
  double macro_f1_mean = 0, macro_f1_sd = 0;
  std::vector<double> macro_f1;               // per seed
};
struct FewShotCurve {
  std::string backbone;
  int test_count = 0;
  std::vector<FewShotPoint> points;
  double seconds = 0;
};
Result<FewShotCurve> EvaluateFewShot(const TrainOptions& options, const std::vector<int>& shots, int seeds);
// Writes dir/few_shot.html: the table and an SVG plot of macro-F1 and accuracy (mean, and mean ± sd
// of macro-F1) against K (self-contained, no script). Creates dir if needed.
Status WriteFewShotReport(const FewShotCurve& curve, const std::string& dir);

}  // namespace vigil
