// VideoTagger: VideoReader (decode thread) -> bounded FrameQueue -> FrameModels in batches (calling
// thread) -> BuildModelTags per model, thumbnails. See include/vigil/video_tagger.h.
#include "vigil/video_tagger.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <thread>

#include "inference/loaded_model.h"
#include "media/jpeg_encode.h"
#include "video/frame_model.h"
#include "video/frame_queue.h"
#include "video/model_tags_builder.h"
#include "vigil/model_repository.h"

namespace vigil {

using video::FrameModel;
using video::FrameOutput;

namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

Status ValidateOptions(const VideoTaggerOptions& o) {
  if (o.models.empty()) return InvalidArgumentError("video tagger: no model given");
  if (o.batch_size < 1 || o.batch_size > 256) {
    return InvalidArgumentError("video tagger: batch_size must be in 1..256");
  }
  if (o.queue_frames < 1 || o.queue_frames > 4096) {
    return InvalidArgumentError("video tagger: queue_frames must be in 1..4096");
  }
  if (o.max_frames < 0) return InvalidArgumentError("video tagger: max_frames must be >= 0");
  if (o.aggregate.top_k < 1) return InvalidArgumentError("video tagger: top_k must be >= 1");
  if (o.smoothing.kind != SmoothingKind::kNone && !(o.smoothing.window_s > 0)) {
    return InvalidArgumentError("video tagger: smoothing window must be > 0 seconds");
  }
  if (!(o.threshold >= 0 && o.threshold <= 1)) {
    return InvalidArgumentError("video tagger: threshold must be in [0, 1]");
  }
  for (const auto& [label, t] : o.label_thresholds) {
    if (!(t >= 0 && t <= 1)) {
      return InvalidArgumentError("video tagger: threshold of \"" + label + "\" must be in [0, 1]");
    }
  }
  if (o.merge_gap_s < 0 || o.min_segment_s < 0 || o.time_budget_s < 0) {
    return InvalidArgumentError("video tagger: merge gap, minimum segment and budget must be >= 0");
  }
  if (o.decode_threads < 0 || o.decode_threads > 64 || o.common.threads_per_session < 1 ||
      o.common.threads_per_session > 64) {
    return InvalidArgumentError("video tagger: decode_threads in 0..64, threads_per_session in 1..64");
  }
  if (o.max_file_bytes < 0 || o.max_pixels < 0) {
    return InvalidArgumentError("video tagger: limits must be >= 0");
  }
  return Status::Ok();
}

// Per-model state during one Tag call.
struct ModelRun {
  const FrameModel* model = nullptr;
  ModelTags tags;
  // Clip models: frames waiting for a full clip.
  std::vector<Image> pending_images;
  std::vector<FrameTags> pending_meta;
};

FrameTags MetaOf(const VideoFrame& f) {
  FrameTags t;
  t.time_s = f.timestamp_s;
  t.end_s = f.timestamp_s;
  t.frame_index = f.index;
  t.key_frame = f.key_frame;
  return t;
}

// Runs the clip model on every complete clip in `run` (all pending frames when `flush`, the last
// clip padded by repeating its last frame).
Status RunPendingClips(ModelRun* run, bool flush, std::vector<std::string>* notes) {
  const size_t t_len = size_t(run->model->clip_length());
  if (flush && !run->pending_images.empty() && run->pending_images.size() % t_len != 0) {
    const size_t missing = t_len - run->pending_images.size() % t_len;
    notes->push_back("clip model " + run->model->name() + ": last clip padded with " +
                     std::to_string(missing) + " repeated frame(s)");
    for (size_t i = 0; i < missing; ++i) {
      run->pending_images.push_back(run->pending_images.back());
      run->pending_meta.push_back(run->pending_meta.back());
    }
  }
  const size_t usable = run->pending_images.size() / t_len * t_len;
  if (usable == 0) return Status::Ok();
  std::vector<Image> clip_images(std::make_move_iterator(run->pending_images.begin()),
                                 std::make_move_iterator(run->pending_images.begin() + usable));
  run->pending_images.erase(run->pending_images.begin(), run->pending_images.begin() + usable);
  VIGIL_ASSIGN_OR_RETURN(std::vector<FrameOutput> outputs, run->model->Run(clip_images));
  for (size_t c = 0; c < outputs.size(); ++c) {
    FrameTags t = run->pending_meta[c * t_len];
    t.end_s = run->pending_meta[c * t_len + t_len - 1].time_s;
    t.scores = std::move(outputs[c].scores);
    run->tags.frames.push_back(std::move(t));
  }
  run->pending_meta.erase(run->pending_meta.begin(), run->pending_meta.begin() + usable);
  return Status::Ok();
}

std::string SafeName(const std::string& text) {
  std::string out;
  for (char c : text) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  return out;
}

}  // namespace

struct VideoTagger::Impl {
  VideoTaggerOptions options;
  SamplerSpec sampler;
  std::vector<video::FrameModelOptions> model_options;
  // Written once by Load (on the loader thread with load_in_background), read after `loaded`.
  std::vector<std::unique_ptr<FrameModel>> models;
  std::vector<VideoTaggerModel> model_info;
  int decode_width = 0;   // from the manifests, before loading
  int decode_height = 0;
  bool keep_aspect = false;  // a detector is among the models (classifiers stretch anyway)
  // The outcome of Load. Declared last: destroyed first, so a running load finishes before the
  // members it writes go away (a std::async state blocks in its destructor).
  std::shared_future<Status> loaded;

  Status Load() {
    for (const video::FrameModelOptions& m : model_options) {
      VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<FrameModel> model, video::CreateFrameModel(m));
      model_info.push_back({model->name(), model->version(), model->kind(), model->backend(), model->shared()});
      models.push_back(std::move(model));
    }
    return Status::Ok();
  }
  // Waits for the models; their load error if any.
  Status WaitLoaded() const {
    std::shared_future<Status> copy = loaded;  // one copy per thread: get() is then race-free
    return copy.get();
  }
};

VideoTagger::VideoTagger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoTagger::~VideoTagger() = default;
const VideoTaggerOptions& VideoTagger::options() const { return impl_->options; }
const std::vector<VideoTaggerModel>& VideoTagger::models() const {
  if (!impl_->WaitLoaded().ok()) {
    static const std::vector<VideoTaggerModel> kNone;
    return kNone;
  }
  return impl_->model_info;
}

Result<std::unique_ptr<VideoTagger>> VideoTagger::Create(const VideoTaggerOptions& options,
                                                         const ModelProvider* provider) {
  VIGIL_RETURN_IF_ERROR(ValidateOptions(options));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  VIGIL_ASSIGN_OR_RETURN(impl->sampler, ParseSampler(options.sampler));
  VIGIL_RETURN_IF_ERROR(CheckSamplerLimits(impl->sampler, options.sampler_limits));
  if (options.max_frames > 0) impl->sampler.max_frames = options.max_frames;
  for (const std::string& text : options.models) {
    VIGIL_ASSIGN_OR_RETURN(ModelRef ref, ParseModelRef(text));
    video::FrameModelOptions m;
    m.model = options.common;
    m.model.name = ref.name;
    m.model.version = ref.version;
    m.max_batch = options.batch_size;
    m.provider = provider;
    // The decode size and aspect come from the manifest (what each adapter reports), so frames
    // can be decoded while the models load.
    VIGIL_ASSIGN_OR_RETURN(ModelEntry entry, FindSelectedModel(m.model));
    const ModelManifest& manifest = entry.manifest;
    if (manifest.task != "classification" && manifest.task != "detection") {
      return UnsupportedError("model " + manifest.name + ": task \"" + manifest.task +
                              "\" cannot tag videos (classification, detection and clip models can)");
    }
    impl->decode_width = std::max(impl->decode_width, manifest.input.width);
    impl->decode_height = std::max(impl->decode_height, manifest.input.height);
    impl->keep_aspect = impl->keep_aspect || manifest.task == "detection";
    impl->model_options.push_back(std::move(m));
  }
  Impl* raw = impl.get();
  if (options.load_in_background && !provider) {
    impl->loaded = std::async(std::launch::async, [raw] { return raw->Load(); }).share();
  } else {
    std::promise<Status> done;
    done.set_value(raw->Load());
    impl->loaded = done.get_future().share();
    VIGIL_RETURN_IF_ERROR(impl->WaitLoaded());
  }
  return std::unique_ptr<VideoTagger>(new VideoTagger(std::move(impl)));
}

Result<VideoTags> VideoTagger::Tag(const std::string& path, const TagControl& control) const {
  const VideoTaggerOptions& o = impl_->options;
  const auto start = Clock::now();
  VideoTags tags;
  tags.path = path;
  tags.sampler = SamplerToString(impl_->sampler);

  VideoReaderOptions ro;
  ro.sampler = impl_->sampler;
  ro.out_width = impl_->decode_width;
  ro.out_height = impl_->decode_height;
  ro.keep_aspect = impl_->keep_aspect;
  ro.decode_threads = o.decode_threads;
  ro.time_budget_s = o.time_budget_s;
  if (o.max_file_bytes > 0) ro.max_file_bytes = o.max_file_bytes;
  if (o.max_pixels > 0) ro.max_pixels = o.max_pixels;
  ro.detect_shots = o.detect_shots;
  ro.sampler_limits = o.sampler_limits;
  ro.cancel = control.cancel;
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<VideoReader> reader, VideoReader::Open(path, ro));
  tags.timings.open_s = Seconds(start);
  tags.info = reader->info();

  // Decode thread: sampled frames into the bounded queue (started before waiting for the models).
  video::FrameQueue queue(size_t(std::max(o.queue_frames, o.batch_size)));
  Status decode_status;
  double decode_s = 0;
  std::thread decoder([&] {
    for (;;) {
      VideoFrame frame;
      const auto t0 = Clock::now();
      Result<bool> more = reader->Next(&frame);
      decode_s += Seconds(t0);
      if (!more.ok()) {
        decode_status = more.status();
        break;
      }
      if (!*more || !queue.Push(std::move(frame))) break;
    }
    queue.Close();
  });
  const auto wait_start = Clock::now();
  if (Status loaded = impl_->WaitLoaded(); !loaded.ok()) {
    queue.Close();
    decoder.join();
    return loaded;
  }
  tags.timings.load_wait_s = Seconds(wait_start);

  std::vector<ModelRun> runs(impl_->models.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    const FrameModel& m = *impl_->models[i];
    runs[i].model = &m;
    runs[i].tags.model = m.name();
    runs[i].tags.version = m.version();
    runs[i].tags.kind = m.kind();
    runs[i].tags.label_names = m.labels();
    if (!impl_->keep_aspect &&
        (m.input_width() != impl_->decode_width || m.input_height() != impl_->decode_height)) {
      tags.notes.push_back("frames decoded at " + std::to_string(impl_->decode_width) + "x" +
                           std::to_string(impl_->decode_height) + "; " + m.name() +
                           " resizes them to " + std::to_string(m.input_width()) + "x" +
                           std::to_string(m.input_height()));
    }
  }

  // Inference on this thread.
  const bool thumbnails = !o.thumbnails_dir.empty();
  std::vector<std::pair<double, std::vector<uint8_t>>> frame_jpegs;  // (time, JPEG) per frame
  const int thumb_h = 180;
  const int thumb_w = tags.info.height > 0
                          ? std::max(1, int(std::lround(thumb_h * double(tags.info.width) /
                                                        tags.info.height)))
                          : 320;
  Status status;
  double inference_s = 0;
  auto last_progress = Clock::now() - std::chrono::seconds(1);
  std::vector<VideoFrame> batch;
  while (queue.PopBatch(size_t(o.batch_size), &batch)) {
    if (control.cancel && control.cancel->load()) {
      status = UnavailableError("cancelled");
      break;
    }
    std::vector<Image> images;
    images.reserve(batch.size());
    std::vector<FrameTags> metas;
    for (VideoFrame& f : batch) {
      metas.push_back(MetaOf(f));
      if (thumbnails) {
        auto jpeg = media::EncodeJpeg(f.image, 85, thumb_w, thumb_h);
        if (jpeg.ok()) frame_jpegs.emplace_back(f.timestamp_s, std::move(*jpeg));
      }
      images.push_back(std::move(f.image));
    }
    tags.frames_sampled += int64_t(batch.size());
    const auto t0 = Clock::now();
    for (ModelRun& run : runs) {
      if (run.model->clip_length() > 1) {
        run.pending_images.insert(run.pending_images.end(), images.begin(), images.end());
        run.pending_meta.insert(run.pending_meta.end(), metas.begin(), metas.end());
        status = RunPendingClips(&run, false, &tags.notes);
        if (!status.ok()) break;
        continue;
      }
      Result<std::vector<FrameOutput>> out = run.model->Run(images);
      if (!out.ok()) {
        status = out.status();
        break;
      }
      for (size_t i = 0; i < out->size(); ++i) {
        FrameTags t = metas[i];
        t.scores = std::move((*out)[i].scores);
        t.counts = std::move((*out)[i].counts);
        run.tags.frames.push_back(std::move(t));
      }
    }
    inference_s += Seconds(t0);
    if (!status.ok()) break;
    if (control.progress && Seconds(last_progress) >= 0.1 && tags.info.duration_s > 0) {
      last_progress = Clock::now();
      control.progress(std::clamp(metas.back().time_s / tags.info.duration_s, 0.0, 1.0));
    }
  }
  queue.Close();
  decoder.join();
  VIGIL_RETURN_IF_ERROR(status);
  if (control.cancel && control.cancel->load()) return UnavailableError("cancelled");
  if (!decode_status.ok()) return decode_status;
  if (tags.frames_sampled == 0) {
    return DataLossError("no video frame could be decoded from " + path);
  }
  const auto t_infer = Clock::now();
  for (ModelRun& run : runs) {
    if (run.model->clip_length() > 1) VIGIL_RETURN_IF_ERROR(RunPendingClips(&run, true, &tags.notes));
  }
  inference_s += Seconds(t_infer);

  const auto t_agg = Clock::now();
  tags.notes.insert(tags.notes.begin(), reader->notes().begin(), reader->notes().end());
  tags.shots = reader->shots();
  // End of the analysed range: the duration, unless the sampler stopped early (max_frames).
  double last_time = 0;
  for (const ModelRun& run : runs) {
    if (!run.tags.frames.empty()) last_time = std::max(last_time, run.tags.frames.back().end_s);
  }
  double end_s = std::max(tags.info.duration_s, last_time);
  if (impl_->sampler.max_frames > 0 && tags.frames_sampled >= impl_->sampler.max_frames) {
    end_s = last_time;
    tags.notes.push_back("stopped after " + std::to_string(tags.frames_sampled) +
                         " frames (max_frames): results cover 0-" + std::to_string(last_time) + " s");
  }
  const int64_t cap = o.sampler_limits.max_sampled_frames;
  if (cap > 0 && tags.frames_sampled >= cap) end_s = last_time;  // the reader noted the cap
  for (ModelRun& run : runs) {
    video::BuildModelTags(o, tags.shots, end_s, &run.tags);
    if (!o.keep_frames) run.tags.frames.clear();
    tags.models.push_back(std::move(run.tags));
  }

  if (thumbnails) {
    std::error_code ec;
    std::filesystem::create_directories(o.thumbnails_dir, ec);
    if (ec) return NotFoundError("cannot create thumbnails directory " + o.thumbnails_dir);
    const std::string stem = SafeName(std::filesystem::path(path).stem().string());
    // The JPEG of the first sampled frame in [from, to), else of the last frame before `from`.
    auto find = [&](double from, double to) -> const std::vector<uint8_t>* {
      const std::vector<uint8_t>* held = frame_jpegs.empty() ? nullptr : &frame_jpegs[0].second;
      for (const auto& [t, jpeg] : frame_jpegs) {
        if (t >= from - 1e-9 && t < to) return &jpeg;
        if (t < from) held = &jpeg;
      }
      return held;
    };
    auto write = [&](const std::vector<uint8_t>* bytes, const std::string& name,
                     std::string* out) -> Status {
      if (!bytes) return Status::Ok();
      const std::string file = (std::filesystem::path(o.thumbnails_dir) / name).string();
      std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(file.c_str(), "wb"), &std::fclose);
      if (!f || std::fwrite(bytes->data(), 1, bytes->size(), f.get()) != bytes->size()) {
        return InternalError("cannot write thumbnail " + file);
      }
      *out = file;
      return Status::Ok();
    };
    std::vector<std::string> shot_files(tags.shots.size());
    for (size_t i = 0; i < tags.shots.size(); ++i) {
      VIGIL_RETURN_IF_ERROR(write(find(tags.shots[i].start_s, tags.shots[i].end_s),
                                  stem + "_shot" + std::to_string(i) + ".jpg", &shot_files[i]));
    }
    for (ModelTags& m : tags.models) {
      for (size_t i = 0; i < m.shots.size() && i < shot_files.size(); ++i) {
        m.shots[i].thumbnail = shot_files[i];
      }
      for (size_t i = 0; i < m.segments.size(); ++i) {
        TaggedSegment& s = m.segments[i];
        VIGIL_RETURN_IF_ERROR(write(find(s.best_time_s, s.end_s),
                                    stem + "_" + SafeName(m.model) + "_" + SafeName(s.label) + "_" +
                                        std::to_string(i) + ".jpg",
                                    &s.thumbnail));
      }
    }
  }
  tags.timings.decode_s = decode_s;
  tags.timings.inference_s = inference_s;
  tags.timings.aggregate_s = Seconds(t_agg);
  tags.timings.total_s = Seconds(start);
  if (control.progress) control.progress(1.0);
  return tags;
}

}  // namespace vigil
