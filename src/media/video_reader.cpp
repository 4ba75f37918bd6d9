// VideoReader on FFmpeg: demux + decode with limits and a wall-clock budget, the samplers
// (keyframes, interval, scene, all) and shot detection while decoding.
#include "vigil/video.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <thread>

#include "media/analysis_scaler.h"
#include "media/disposable_packet.h"
#include "media/ffmpeg_handles.h"
#include "media/frame_converter.h"
#include "media/keyframe_thinner.h"
#include "media/shot_detector.h"
#include "media/stream_facts.h"
#include "vigil/text_checks.h"

namespace vigil {
namespace {

using video::FFmpegError;
using video::FramePtr;
using Clock = std::chrono::steady_clock;
using video::ContainerHasExactIndex;
using video::IsStillImageDemuxer;
using video::OutputSize;
using video::PacketKeyFlagsReliable;
using video::StreamRotation;
using video::ValidateReaderOptions;

// interval sampler: key frames closer than this are reached by reading past packets, farther ones by
// seeking (reading a few seconds of packets costs less than flushing the decoder's frame threads).
constexpr double kSkipByReadingSeconds = 10.0;

// scene sampler: decoder references held for the detector's look-ahead may take this much memory
// (640x480: ~26 MB at 25 fps); above it the look-ahead keeps converted output frames instead.
constexpr int64_t kLookAheadBudgetBytes = 64LL << 20;

// interval sampler: a read-past target beyond every packet (no requested time left).
constexpr int64_t kEndOfStream = INT64_MAX;

// Wall-clock deadline and cancel flag, shared with FFmpeg's I/O through AVIOInterruptCB.
struct Deadline {
  bool enabled = false;
  Clock::time_point end;
  const std::atomic<bool>* cancel = nullptr;
  bool Expired() const { return enabled && Clock::now() > end; }
  bool Cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
};

int InterruptCallback(void* opaque) {
  const auto* d = static_cast<const Deadline*>(opaque);
  return d->Cancelled() || d->Expired() ? 1 : 0;
}

// A decoded frame waiting to be returned: a reference to the decoder's picture (no copy), or the
// already converted output image.
struct PendingFrame {
  FramePtr frame;
  bool converted = false;  // `image` holds the output (then `frame` is null)
  Image image;
  bool key_frame = false;
  int64_t index = 0;
  double time_s = 0;
  double score = 0;
};

class FFmpegVideoReader final : public VideoReader {
 public:
  explicit FFmpegVideoReader(const VideoReaderOptions& options) : options_(options) {}

  Status Init(const std::string& path);

  const VideoInfo& info() const override { return info_; }
  Result<bool> Next(VideoFrame* frame) override;
  const std::vector<std::string>& notes() const override { return notes_; }
  const std::vector<Shot>& shots() const override { return shots_; }
  int64_t decoded_frames() const override { return decoded_; }

 private:
  Status CheckBudget() const;
  // Next decoded frame (nullptr at end of stream).
  Result<AVFrame*> DecodeNext();
  Status SendPacket(AVPacket* packet);
  Status MaybeSeek();
  const AVIndexEntry* KeyFrameFor(int64_t k) const;
  void SkipPastSettlingKey(const AVPacket* packet);
  bool NoRequestedTimeLeft(int64_t k) const;
  void ReadPastUntil(int64_t ts);
  bool NearRequestedTime(int64_t pts) const;
  Status OnFrame(AVFrame* frame, double t, int64_t index);
  void OnEndOfStream();
  Status FeedShots(AVFrame* frame, double t, int64_t index);
  void EmitBoundaries();
  void Push(const AVFrame* frame, double t, int64_t index, double score);
  void AddNote(const std::string& note);
  double FrameDuration() const { return info_.fps > 0 ? 1.0 / info_.fps : 0.04; }

  VideoReaderOptions options_;
  VideoInfo info_;
  std::vector<std::string> notes_;
  std::vector<Shot> shots_;
  Deadline deadline_;

  video::FormatContextPtr format_;
  video::CodecContextPtr codec_;
  video::PacketPtr packet_ = video::MakePacket();
  FramePtr frame_ = video::MakeFrame();
  AVStream* stream_ = nullptr;
  int stream_index_ = -1;
  int64_t start_pts_ = AV_NOPTS_VALUE;
  double time_base_ = 0;

  std::unique_ptr<video::FrameConverter> converter_;
  std::unique_ptr<video::AnalysisScaler> analysis_scaler_;
  std::unique_ptr<video::ShotDetector> detector_;
  Image analysis_image_;

  // Decoding state.
  bool draining_ = false;
  bool eof_ = false;
  bool done_ = false;
  bool skip_non_key_packets_ = false;  // keyframes sampler: only key packets reach the decoder
  // keyframes sampler: at most one key frame per keyframe_min_gap_s, decided on the packets where
  // they tell key frames apart (the others are never decoded), else on the decoded frames.
  std::unique_ptr<video::KeyframeThinner> packet_thinner_;
  std::unique_ptr<video::KeyframeThinner> frame_thinner_;
  bool skipped_anything_ = false;      // some frames were not decoded (seek or skip): index estimated
  int64_t decoded_ = 0;
  int64_t decode_errors_ = 0;
  int64_t non_key_decoded_ = 0;  // keyframes sampler: non-key frames the decoder still produced
  int64_t seeks_ = 0;
  double last_t_ = -1;
  std::string first_error_;

  // Sampler state.
  std::deque<PendingFrame> pending_;
  int64_t emitted_ = 0;
  int64_t next_target_ = 0;  // interval: index k of the next requested time k * interval_s
  PendingFrame previous_;    // interval: the last decoded frame (candidate for the next target)
  double last_emitted_t_ = -1;
  std::deque<PendingFrame> recent_;  // scene: frames still in the detector's look-ahead
  bool convert_look_ahead_ = false;  // scene: keep look-ahead frames converted (smaller than references)
  double last_score_ = 0;
  bool has_index_ = false;  // the stream has a seek index with key frames (interval may seek)
  video::BitstreamKind disposable_kind_ = video::BitstreamKind::kOther;  // interval: packets we may drop
  int nal_length_size_ = 0;
  int64_t dropped_packets_ = 0;
  int64_t seek_target_ = -1;               // interval: the requested time of the last seek
  int64_t last_seek_ts_ = AV_NOPTS_VALUE;  // interval: index timestamp of the last seek
  int64_t last_read_ts_ = AV_NOPTS_VALUE;  // interval: decode timestamp of the last packet read
  int64_t key_pts_offset_ = 0;             // interval: max (pts - dts) over key packets read
  int64_t seek_expected_ts_ = AV_NOPTS_VALUE;  // interval: index timestamp the last seek aimed at
  int64_t skip_until_ts_ = AV_NOPTS_VALUE;     // interval: drop packets read before this key frame
  int64_t skips_ = 0;                          // interval: jumps made by reading past packets
  int64_t skipped_packets_ = 0;
};

Status FFmpegVideoReader::CheckBudget() const {
  if (deadline_.Cancelled()) return UnavailableError("cancelled");
  if (deadline_.Expired()) {
    return DeadlineExceededError("video time budget of " + std::to_string(options_.time_budget_s) + " s exceeded");
  }
  return Status::Ok();
}

void FFmpegVideoReader::AddNote(const std::string& note) {
  if (std::find(notes_.begin(), notes_.end(), note) == notes_.end()) notes_.push_back(note);
}

Status FFmpegVideoReader::Init(const std::string& path) {
  video::RouteFFmpegLogs();
  VIGIL_RETURN_IF_ERROR(ValidateReaderOptions(options_));
  deadline_.cancel = options_.cancel;
  VIGIL_RETURN_IF_ERROR(CheckBudget());
  if (options_.time_budget_s > 0) {
    deadline_.enabled = true;
    deadline_.end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(options_.time_budget_s));
  }
  VIGIL_RETURN_IF_ERROR(CheckText(path, "video path"));  // FFmpeg and stat would stop at a NUL
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return NotFoundError("video file not found: " + path);
  if (!S_ISREG(st.st_mode)) return InvalidArgumentError("not a regular file: " + path);
  if (st.st_size == 0) return InvalidArgumentError("empty video file: " + path);
  if (st.st_size > options_.max_file_bytes) {
    return ResourceExhaustedError("video file of " + std::to_string(st.st_size) + " bytes exceeds max_file_bytes " +
                                  std::to_string(options_.max_file_bytes));
  }

  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) return ResourceExhaustedError("avformat_alloc_context failed");
  raw->interrupt_callback.callback = InterruptCallback;
  raw->interrupt_callback.opaque = &deadline_;
  int ret = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);  // frees raw on failure
  if (ret == AVERROR_EXIT) VIGIL_RETURN_IF_ERROR(CheckBudget());
  if (ret < 0) {
    if (ret == AVERROR_INVALIDDATA) return UnsupportedError("not a video FFmpeg can read: " + path);
    const Status s = FFmpegError(ret, "opening " + path);
    if (s.code() == StatusCode::kInternal) return DataLossError("cannot read " + path + " as a video: " + video::FFmpegErrorString(ret));
    return s;
  }
  format_.reset(raw);
  const char* demuxer = format_->iformat ? format_->iformat->name : "";
  if (IsStillImageDemuxer(demuxer)) {
    return UnsupportedError(std::string("a still image (") + demuxer + "), not a video: " + path);
  }
  ret = avformat_find_stream_info(format_.get(), nullptr);
  if (ret == AVERROR_EXIT) VIGIL_RETURN_IF_ERROR(CheckBudget());
  if (ret < 0) return video::FFmpegInputError(ret, "reading stream info of " + path);
  VIGIL_RETURN_IF_ERROR(CheckBudget());

  for (unsigned i = 0; i < format_->nb_streams; ++i) {
    const AVStream* s = format_->streams[i];
    if (s->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) info_.has_audio = true;
  }
  const AVCodec* decoder = nullptr;
  ret = av_find_best_stream(format_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (ret >= 0 && (format_->streams[ret]->disposition & AV_DISPOSITION_ATTACHED_PIC)) ret = AVERROR_STREAM_NOT_FOUND;
  if (ret == AVERROR_STREAM_NOT_FOUND) {
    return UnsupportedError(std::string(info_.has_audio ? "audio only, no video stream: " : "no video stream: ") + path);
  }
  if (ret == AVERROR_DECODER_NOT_FOUND || (ret >= 0 && !decoder)) {
    return UnsupportedError("no decoder for the video stream of " + path);
  }
  if (ret < 0) return video::FFmpegInputError(ret, "finding the video stream of " + path);
  stream_index_ = ret;
  stream_ = format_->streams[ret];
  const AVCodecParameters* par = stream_->codecpar;
  if (par->width <= 0 || par->height <= 0) return DataLossError("video stream declares no picture size: " + path);
  if (par->width > options_.max_dimension || par->height > options_.max_dimension ||
      static_cast<int64_t>(par->width) * par->height > options_.max_pixels) {
    return ResourceExhaustedError("video declares " + std::to_string(par->width) + "x" + std::to_string(par->height) +
                                  ", over the limits (max_pixels " + std::to_string(options_.max_pixels) +
                                  ", max_dimension " + std::to_string(options_.max_dimension) + ")");
  }

  // Facts.
  info_.container = demuxer;
  info_.codec = decoder->name;
  info_.rotation_deg = StreamRotation(stream_);
  const bool swap = info_.rotation_deg == 90 || info_.rotation_deg == 270;
  info_.width = swap ? par->height : par->width;
  info_.height = swap ? par->width : par->height;
  time_base_ = av_q2d(stream_->time_base);
  if (stream_->avg_frame_rate.num > 0 && stream_->avg_frame_rate.den > 0) {
    info_.fps = av_q2d(stream_->avg_frame_rate);
  } else if (stream_->r_frame_rate.num > 0 && stream_->r_frame_rate.den > 0) {
    info_.fps = av_q2d(stream_->r_frame_rate);
  }
  if (stream_->duration != AV_NOPTS_VALUE && stream_->duration > 0) {
    info_.duration_s = stream_->duration * time_base_;
  } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
    info_.duration_s = static_cast<double>(format_->duration) / AV_TIME_BASE;
  }
  info_.frame_count_estimate = stream_->nb_frames > 0 ? stream_->nb_frames
                                                      : static_cast<int64_t>(std::lround(info_.duration_s * info_.fps));
  if (options_.max_duration_s > 0 && info_.duration_s > options_.max_duration_s) {
    return ResourceExhaustedError("video declares " + std::to_string(info_.duration_s) + " s, over max_duration_s " +
                                  std::to_string(options_.max_duration_s));
  }
  const int64_t max_sampled = options_.sampler_limits.max_sampled_frames;
  if (options_.sampler.kind == SamplerKind::kInterval && max_sampled > 0 &&
      (options_.sampler.max_frames == 0 || options_.sampler.max_frames > max_sampled) &&
      info_.duration_s / options_.sampler.interval_s > static_cast<double>(max_sampled)) {
    return InvalidArgumentError("sampler " + SamplerToString(options_.sampler) + " on a video of " +
                                std::to_string(info_.duration_s) + " s asks for more than max_sampled_frames = " +
                                std::to_string(max_sampled) + " frames; use a longer interval");
  }
  if (stream_->start_time != AV_NOPTS_VALUE) start_pts_ = stream_->start_time;

  // Decoder.
  codec_.reset(avcodec_alloc_context3(decoder));
  if (!codec_) return ResourceExhaustedError("avcodec_alloc_context3 failed");
  ret = avcodec_parameters_to_context(codec_.get(), par);
  if (ret < 0) return FFmpegError(ret, "decoder parameters");
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  codec_->thread_count = options_.decode_threads > 0 ? options_.decode_threads : std::min(2, hw);
  codec_->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  codec_->pkt_timebase = stream_->time_base;
  codec_->max_pixels = options_.max_pixels;  // FFmpeg refuses larger pictures than declared, too
  ret = avcodec_open2(codec_.get(), decoder, nullptr);
  if (ret < 0) return video::FFmpegInputError(ret, "opening the " + info_.codec + " decoder");

  const SamplerSpec& sampler = options_.sampler;
  const bool want_shots = options_.detect_shots || sampler.kind == SamplerKind::kScene;
  if (sampler.kind == SamplerKind::kKeyframes && !want_shots) {
    // The decoder skips non-key frames; for codecs whose packets carry reliable key flags the
    // non-key packets do not even reach it.
    codec_->skip_frame = AVDISCARD_NONKEY;
    skip_non_key_packets_ = PacketKeyFlagsReliable(decoder->id);
    const AVCodecDescriptor* desc = avcodec_descriptor_get(decoder->id);
    const bool intra_only = desc && (desc->props & AV_CODEC_PROP_INTRA_ONLY);
    if (intra_only) AddNote(info_.codec + ": intra-only codec, every frame is a key frame");
    // Every packet of an intra-only codec is a key frame, whatever its flags say.
    if (sampler.keyframe_min_gap_s > 0 && (skip_non_key_packets_ || intra_only)) {
      packet_thinner_ = std::make_unique<video::KeyframeThinner>(sampler.keyframe_min_gap_s, FrameDuration());
    }
  }
  if (sampler.kind == SamplerKind::kKeyframes && sampler.keyframe_min_gap_s > 0) {
    frame_thinner_ = std::make_unique<video::KeyframeThinner>(sampler.keyframe_min_gap_s, FrameDuration());
  }
  if (sampler.kind == SamplerKind::kInterval && !want_shots) {
    const bool seekable = format_->pb && (format_->pb->seekable & AVIO_SEEKABLE_NORMAL);
    if (seekable && ContainerHasExactIndex(demuxer) && avformat_index_get_entries_count(stream_) <= 1) {
      // Matroska reads its cues on the first seek: seek to the start once to load them.
      av_seek_frame(format_.get(), stream_index_, stream_->start_time != AV_NOPTS_VALUE ? stream_->start_time : 0,
                    AVSEEK_FLAG_BACKWARD);
    }
    has_index_ = seekable && ContainerHasExactIndex(demuxer) && avformat_index_get_entries_count(stream_) > 1;
    if (!has_index_) {
      AddNote(info_.container + ": no exact seek index, interval sampling decodes every frame and converts only the chosen ones");
    }
    if (decoder->id == AV_CODEC_ID_H264) {
      disposable_kind_ = video::BitstreamKind::kH264;
      if (par->extradata_size >= 7 && par->extradata[0] == 1) nal_length_size_ = (par->extradata[4] & 3) + 1;
    } else if (decoder->id == AV_CODEC_ID_MPEG1VIDEO || decoder->id == AV_CODEC_ID_MPEG2VIDEO) {
      disposable_kind_ = video::BitstreamKind::kMpeg12Video;
    }
  }

  int out_w = 0, out_h = 0;
  OutputSize(options_, info_.width, info_.height, &out_w, &out_h);
  converter_ = std::make_unique<video::FrameConverter>(out_w, out_h, info_.rotation_deg, SWS_BILINEAR);
  if (want_shots) {
    ShotDetectorOptions detector_options = options_.shot_detector;
    if (sampler.kind == SamplerKind::kScene && sampler.scene_threshold > 0) detector_options.threshold = sampler.scene_threshold;
    detector_ = std::make_unique<video::ShotDetector>(detector_options, info_.fps > 0 ? info_.fps : 25.0);
    // The analysis copy ignores rotation: the scores do not depend on orientation.
    analysis_scaler_ = std::make_unique<video::AnalysisScaler>();
    // scene: hold decoder references for the look-ahead while they fit kLookAheadBudgetBytes (8-bit
    // 4:2:0 pictures), else keep converted outputs when smaller (costs a conversion per frame).
    const int64_t picture = 3LL * par->width * par->height / 2, output = 3LL * out_w * out_h;
    convert_look_ahead_ = picture * (detector_->lookahead() + 2) > kLookAheadBudgetBytes && output < picture;
  }
  return CheckBudget();
}

// interval sampler: when the key frame that starts the GOP of the next requested time T has not been
// read yet, jump to it instead of decoding the frames in between: by dropping the packets before it
// when it is near (under kSkipByReadingSeconds), else by seeking. The key frame K qualifies when
// K <= T + 0.4 frame: then no frame before K can be nearer to T than K itself. Index timestamps
// may be decode times; key_pts_offset_ (the largest presentation - decode time seen on key packets)
// turns them into an upper bound of the presentation time, so the test stays safe. A seek that lands
// after the key frame it aimed at turns seeking off (decoding forward is always correct).
// At most one seek per requested time, and only forwards.
Status FFmpegVideoReader::MaybeSeek() {
  if (!has_index_ || start_pts_ == AV_NOPTS_VALUE || last_t_ < 0 || seek_target_ == next_target_ ||
      last_read_ts_ == AV_NOPTS_VALUE) {
    return Status::Ok();
  }
  const AVIndexEntry* entry = KeyFrameFor(next_target_);
  // Worth it only when the demuxer has not reached that key frame yet.
  if (!entry || entry->timestamp <= last_read_ts_ || entry->timestamp <= last_seek_ts_) return Status::Ok();
  seek_target_ = next_target_;
  last_seek_ts_ = entry->timestamp;
  skipped_anything_ = true;
  if ((entry->timestamp - last_read_ts_) * time_base_ < kSkipByReadingSeconds) {
    // Near: read past the packets before the key frame. The decoder is not flushed, so frame
    // threads stay busy (a seek + flush serialises them).
    ReadPastUntil(entry->timestamp);
    return Status::Ok();
  }
  // Demuxers seek by presentation time: aim at the key frame's (upper-bound) presentation time.
  const int ret = av_seek_frame(format_.get(), stream_index_, entry->timestamp + key_pts_offset_, AVSEEK_FLAG_BACKWARD);
  if (ret < 0) {
    if (ret == AVERROR_EXIT) return CheckBudget();
    has_index_ = false;
    AddNote("seek failed (" + video::FFmpegErrorString(ret) + "), decoding every frame instead");
    return Status::Ok();
  }
  avcodec_flush_buffers(codec_.get());
  ++seeks_;
  seek_expected_ts_ = entry->timestamp;
  last_read_ts_ = AV_NOPTS_VALUE;
  previous_ = PendingFrame();
  return Status::Ok();
}

// interval sampler: the index entry of the last key frame K with K <= T + 0.4 frame for the requested
// time T = k * interval_s (see MaybeSeek), or null.
const AVIndexEntry* FFmpegVideoReader::KeyFrameFor(int64_t k) const {
  const double target_t = k * options_.sampler.interval_s + 0.4 * FrameDuration();
  const int64_t search_ts = start_pts_ + static_cast<int64_t>(std::floor(target_t / time_base_)) - key_pts_offset_;
  const int idx = av_index_search_timestamp(stream_, search_ts, AVSEEK_FLAG_BACKWARD);
  return idx < 0 ? nullptr : avformat_index_get_entry(stream_, idx);
}

// interval sampler: whether the requested time k * interval_s and all later ones lie past the last
// frame by the declared duration (no frame within half a frame of them: see OnEndOfStream). Only
// trusted from containers with an exact index (MP4/Matroska/AVI headers), never from a duration
// FFmpeg estimated from the bit rate (MPEG-PS/TS), which may fall short of the real end.
bool FFmpegVideoReader::NoRequestedTimeLeft(int64_t k) const {
  return has_index_ && info_.duration_s > 0 && format_->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE &&
         k * options_.sampler.interval_s > info_.duration_s - 0.5 * FrameDuration() + 1e-6;
}

// interval sampler: a key packet presented within half a frame of a requested time k * interval_s is
// that time's frame. When the next requested time starts from a later key frame, the packets between
// are read past now, as the key packet is sent, rather than once the decoder returns the key frame:
// by then its reorder delay and frame threads would have taken (and decoded) 2-4 more packets.
// Only when no earlier requested time can still be waiting for a frame shown before this one (open-GOP
// leading pictures) and the next key frame is near (far ones are left to MaybeSeek, which flushes);
// after the last requested time within the declared duration, the rest of the stream is read past.
void FFmpegVideoReader::SkipPastSettlingKey(const AVPacket* packet) {
  if (!has_index_ || detector_ || start_pts_ == AV_NOPTS_VALUE || packet->pts == AV_NOPTS_VALUE ||
      !(packet->flags & AV_PKT_FLAG_KEY) || skip_until_ts_ != AV_NOPTS_VALUE) {
    return;
  }
  const double interval = options_.sampler.interval_s;
  const double t = (packet->pts - start_pts_) * time_base_;
  const double k = std::round(t / interval);
  if (k < next_target_ || std::fabs(t - k * interval) >= 0.5 * FrameDuration()) return;
  const double reorder_window = (std::max(codec_->has_b_frames, 2) + 1) * FrameDuration();
  if (k > next_target_ && (k - 1) * interval > t - reorder_window) return;
  if (NoRequestedTimeLeft(static_cast<int64_t>(k) + 1)) {
    ReadPastUntil(kEndOfStream);
    return;
  }
  const int64_t read_ts = packet->dts != AV_NOPTS_VALUE ? packet->dts : packet->pts;
  const AVIndexEntry* entry = KeyFrameFor(static_cast<int64_t>(k) + 1);
  if (!entry || entry->timestamp <= read_ts || (entry->timestamp - read_ts) * time_base_ >= kSkipByReadingSeconds) {
    return;
  }
  last_seek_ts_ = std::max(last_seek_ts_, entry->timestamp);  // AV_NOPTS_VALUE is INT64_MIN
  ReadPastUntil(entry->timestamp);
}

// interval sampler: drops the packets read before decode timestamp `ts` (kEndOfStream: all the rest).
void FFmpegVideoReader::ReadPastUntil(int64_t ts) {
  skip_until_ts_ = ts;
  skipped_anything_ = true;
  ++skips_;
}

// interval sampler: whether a frame presented at `pts` could be the nearest to a requested time
// still to come (within two frame durations of one).
bool FFmpegVideoReader::NearRequestedTime(int64_t pts) const {
  if (pts == AV_NOPTS_VALUE || start_pts_ == AV_NOPTS_VALUE) return true;
  const double t = (pts - start_pts_) * time_base_;
  const double interval = options_.sampler.interval_s;
  const double margin = 2 * FrameDuration();
  const double k = std::max(std::round(t / interval), static_cast<double>(next_target_));
  for (double j : {k - 1, k, k + 1}) {
    if (j >= next_target_ && std::fabs(t - j * interval) <= margin) return true;
  }
  return false;
}

Status FFmpegVideoReader::SendPacket(AVPacket* packet) {
  const int ret = avcodec_send_packet(codec_.get(), packet);
  if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF) {
    ++decode_errors_;
    if (first_error_.empty()) first_error_ = video::FFmpegErrorString(ret);
  }
  return Status::Ok();
}

Result<AVFrame*> FFmpegVideoReader::DecodeNext() {
  while (true) {
    VIGIL_RETURN_IF_ERROR(CheckBudget());
    int ret = avcodec_receive_frame(codec_.get(), frame_.get());
    if (ret == 0) {
      ++decoded_;
      return frame_.get();
    }
    if (ret == AVERROR_EOF) return static_cast<AVFrame*>(nullptr);
    if (ret != AVERROR(EAGAIN)) {
      ++decode_errors_;
      if (first_error_.empty()) first_error_ = video::FFmpegErrorString(ret);
      if (draining_) return static_cast<AVFrame*>(nullptr);
      continue;
    }
    if (draining_) return static_cast<AVFrame*>(nullptr);  // decoder wants input but has none left
    if (options_.sampler.kind == SamplerKind::kInterval && !detector_) VIGIL_RETURN_IF_ERROR(MaybeSeek());
    // Feed one packet of our stream.
    while (true) {
      VIGIL_RETURN_IF_ERROR(CheckBudget());  // per packet: skipped packets may be many
      ret = av_read_frame(format_.get(), packet_.get());
      if (ret < 0) {
        if (ret == AVERROR_EXIT) {
          VIGIL_RETURN_IF_ERROR(CheckBudget());
          return DeadlineExceededError("video time budget exceeded while reading");
        }
        if (ret != AVERROR_EOF) AddNote("read error (" + video::FFmpegErrorString(ret) + "): stream ended early");
        draining_ = true;
        VIGIL_RETURN_IF_ERROR(SendPacket(nullptr));
        break;
      }
      if (packet_->stream_index != stream_index_ ||
          (skip_non_key_packets_ && !(packet_->flags & AV_PKT_FLAG_KEY))) {
        av_packet_unref(packet_.get());
        continue;
      }
      if (start_pts_ == AV_NOPTS_VALUE && packet_->pts != AV_NOPTS_VALUE) start_pts_ = packet_->pts;
      if (packet_thinner_ && packet_->pts != AV_NOPTS_VALUE &&
          !packet_thinner_->Keep((packet_->pts - start_pts_) * time_base_)) {
        av_packet_unref(packet_.get());  // a key frame too soon after the last kept one: not decoded
        continue;
      }
      const int64_t read_ts = packet_->dts != AV_NOPTS_VALUE ? packet_->dts : packet_->pts;
      if (read_ts != AV_NOPTS_VALUE) {
        if (last_read_ts_ == AV_NOPTS_VALUE && seek_expected_ts_ != AV_NOPTS_VALUE && read_ts > seek_expected_ts_) {
          has_index_ = false;  // the seek landed after the key frame it aimed at: stop seeking
          AddNote("interval: a seek overshot its key frame; decoding forward from there on");
        }
        seek_expected_ts_ = AV_NOPTS_VALUE;
        last_read_ts_ = std::max(last_read_ts_ == AV_NOPTS_VALUE ? read_ts : last_read_ts_, read_ts);
      }
      if ((packet_->flags & AV_PKT_FLAG_KEY) && packet_->pts != AV_NOPTS_VALUE && packet_->dts != AV_NOPTS_VALUE) {
        key_pts_offset_ = std::max(key_pts_offset_, packet_->pts - packet_->dts);
      }
      if (skip_until_ts_ != AV_NOPTS_VALUE) {
        if (read_ts != AV_NOPTS_VALUE && read_ts < skip_until_ts_) {
          ++skipped_packets_;
          av_packet_unref(packet_.get());
          continue;
        }
        skip_until_ts_ = AV_NOPTS_VALUE;
      }
      if (disposable_kind_ != video::BitstreamKind::kOther && !NearRequestedTime(packet_->pts) &&
          video::IsDisposablePacket(disposable_kind_, packet_->data, packet_->size, nal_length_size_)) {
        ++dropped_packets_;  // no other frame refers to it and it is not near a requested time
        skipped_anything_ = true;
        av_packet_unref(packet_.get());
        continue;
      }
      if (options_.sampler.kind == SamplerKind::kInterval) SkipPastSettlingKey(packet_.get());
      Status s = SendPacket(packet_.get());
      av_packet_unref(packet_.get());
      VIGIL_RETURN_IF_ERROR(s);
      break;
    }
  }
}

void FFmpegVideoReader::Push(const AVFrame* frame, double t, int64_t index, double score) {
  PendingFrame p;
  p.frame = video::RefFrame(frame);
  if (!p.frame) return;
  p.time_s = t;
  p.index = index;
  p.score = score;
  last_emitted_t_ = t;
  pending_.push_back(std::move(p));
}

Status FFmpegVideoReader::FeedShots(AVFrame* frame, double t, int64_t index) {
  VIGIL_RETURN_IF_ERROR(analysis_scaler_->Convert(frame, &analysis_image_));
  last_score_ = detector_->AddFrame(index, t, analysis_image_);
  return Status::Ok();
}

// scene sampler: the first frame of each new shot, taken from the frames kept for the look-ahead.
void FFmpegVideoReader::EmitBoundaries() {
  for (const video::ShotBoundary& b : detector_->TakeBoundaries()) {
    if (options_.sampler.kind != SamplerKind::kScene) continue;
    for (PendingFrame& r : recent_) {
      if (r.index == b.frame && (r.frame || r.converted)) {
        r.score = b.score;
        pending_.push_back(std::move(r));
        r = PendingFrame();
        break;
      }
    }
  }
}

Status FFmpegVideoReader::OnFrame(AVFrame* frame, double t, int64_t index) {
  const SamplerKind kind = options_.sampler.kind;
  if (detector_) {
    VIGIL_RETURN_IF_ERROR(FeedShots(frame, t, index));
    if (kind == SamplerKind::kScene) {
      // Each frame in the detector's look-ahead may become a shot start. Kept as the smaller of a
      // decoder reference and the converted output (e.g. 224x224 RGB beats a 1080p YUV picture).
      PendingFrame r;
      r.index = index;
      r.time_s = t;
      r.key_frame = frame->key_frame != 0;
      if (index != 0) {  // frame 0 is emitted at once
        if (convert_look_ahead_) {
          VIGIL_RETURN_IF_ERROR(converter_->Convert(frame, &r.image));
          r.converted = true;
        } else {
          r.frame = video::RefFrame(frame);
        }
      }
      recent_.push_back(std::move(r));
      while (static_cast<int>(recent_.size()) > detector_->lookahead() + 2) recent_.pop_front();
      if (index == 0) Push(frame, t, index, 0);
      EmitBoundaries();
      return Status::Ok();
    }
  }
  switch (kind) {
    case SamplerKind::kAll:
      Push(frame, t, index, last_score_);
      break;
    case SamplerKind::kKeyframes:
      if (!frame->key_frame) {
        ++non_key_decoded_;
      } else if (!frame_thinner_ || frame_thinner_->Keep(t)) {
        Push(frame, t, index, last_score_);
      }
      break;
    case SamplerKind::kInterval: {
      const double interval = options_.sampler.interval_s;
      // Requested times up to t (k = next_target_ .. last_k) are settled: each takes the nearer of
      // the previous frame and this one. The choice is monotone in k (earlier times favour the
      // previous frame), so the first and the last requested time decide what is emitted, in O(1)
      // however many requested times a gap in the timestamps spans.
      const double last_k_d = std::floor((t + 1e-9) / interval);
      if (last_k_d >= static_cast<double>(next_target_)) {
        const int64_t last_k = static_cast<int64_t>(std::min(last_k_d, 1e18));
        const double first_target = next_target_ * interval, last_target = last_k * interval;
        const bool any_previous =
            previous_.frame && std::fabs(previous_.time_s - first_target) <= std::fabs(t - first_target);
        const bool any_this = !previous_.frame || std::fabs(previous_.time_s - last_target) > std::fabs(t - last_target);
        if (any_previous && previous_.time_s > last_emitted_t_ + 1e-9) {
          Push(previous_.frame.get(), previous_.time_s, previous_.index, 0);
        }
        if (any_this && t > last_emitted_t_ + 1e-9) Push(frame, t, index, 0);
        next_target_ = last_k + 1;
      }
      if (NoRequestedTimeLeft(next_target_) && skip_until_ts_ != kEndOfStream) ReadPastUntil(kEndOfStream);
      previous_.frame = video::RefFrame(frame);
      previous_.time_s = t;
      previous_.index = index;
      break;
    }
    case SamplerKind::kScene:
      break;
  }
  return Status::Ok();
}

void FFmpegVideoReader::OnEndOfStream() {
  if (options_.sampler.kind == SamplerKind::kInterval && previous_.frame) {
    // The last requested time may fall just after the last frame (within half a frame).
    const double target = next_target_ * options_.sampler.interval_s;
    if (previous_.time_s > last_emitted_t_ + 1e-9 && std::fabs(previous_.time_s - target) <= 0.5 * FrameDuration()) {
      Push(previous_.frame.get(), previous_.time_s, previous_.index, 0);
    }
    previous_ = PendingFrame();
  }
  if (detector_) {
    detector_->Finish();
    EmitBoundaries();
    recent_.clear();
    const double end = last_t_ >= 0 ? last_t_ + FrameDuration() : 0;
    shots_ = detector_->Shots(end, std::max<int64_t>(0, decoded_ - 1));
  }
  if (decode_errors_ > 0) {
    AddNote(std::to_string(decode_errors_) + " decode error(s) skipped (first: " + first_error_ + ")");
  }
  if (options_.sampler.kind == SamplerKind::kKeyframes && non_key_decoded_ > 0) {
    if (detector_) {  // the codec could have skipped them: the shot detector needs every frame
      AddNote("keyframes: shot detection (detect_shots) decodes every frame; " + std::to_string(non_key_decoded_) +
              " non-key frames were decoded for it and not sampled");
    } else {
      AddNote(info_.codec + ": key-frame skipping unavailable, decoded every frame (" +
              std::to_string(non_key_decoded_) + " non-key frames dropped)");
    }
  }
  const int64_t thinned_unseen = packet_thinner_ ? packet_thinner_->dropped() : 0;
  const int64_t thinned_decoded = frame_thinner_ ? frame_thinner_->dropped() : 0;
  if (thinned_unseen + thinned_decoded > 0) {
    char gap[32];
    std::snprintf(gap, sizeof gap, "%g", options_.sampler.keyframe_min_gap_s);
    AddNote(std::string("keyframes: key frames closer than ") + gap + " s apart thinned to one per " + gap + " s: " +
            std::to_string(thinned_unseen + thinned_decoded) + " skipped (" + std::to_string(thinned_unseen) +
            " not decoded)");
  }
  if (dropped_packets_ > 0) {
    AddNote("interval: " + std::to_string(dropped_packets_) +
            " non-reference frames far from the requested times were not decoded");
  }
  if (skips_ > 0) {
    AddNote("interval: read past " + std::to_string(skipped_packets_) + " packets in " + std::to_string(skips_) +
            " jump(s) to key frames");
  }
  if (seeks_ > 0) AddNote("interval: " + std::to_string(seeks_) + " seek(s) to key frames");
}

Result<bool> FFmpegVideoReader::Next(VideoFrame* out) {
  const int max_frames = options_.sampler.max_frames;
  const int64_t max_sampled = options_.sampler_limits.max_sampled_frames;
  if (max_sampled > 0 && emitted_ >= max_sampled && (max_frames == 0 || max_frames > max_sampled)) {
    if (!done_) {
      AddNote("stopped after max_sampled_frames = " + std::to_string(max_sampled));
      OnEndOfStream();
      done_ = true;
    }
    return false;
  }
  VIGIL_RETURN_IF_ERROR(CheckBudget());
  while (pending_.empty()) {
    if (done_ || (max_frames > 0 && emitted_ >= max_frames)) return false;
    VIGIL_ASSIGN_OR_RETURN(AVFrame * frame, DecodeNext());
    const bool capped = options_.max_decoded_frames > 0 && decoded_ > options_.max_decoded_frames;
    if (!frame || capped) {
      if (capped) AddNote("stopped after max_decoded_frames = " + std::to_string(options_.max_decoded_frames));
      if (decoded_ == 0 && !capped) {
        done_ = true;
        return DataLossError("no video frame could be decoded" +
                             (first_error_.empty() ? std::string() : " (" + first_error_ + ")"));
      }
      OnEndOfStream();
      done_ = true;
      continue;
    }
    int64_t ts = frame->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE) ts = frame->pts;
    double t;
    if (ts == AV_NOPTS_VALUE) {
      t = last_t_ < 0 ? 0 : last_t_ + FrameDuration();
    } else {
      if (start_pts_ == AV_NOPTS_VALUE) start_pts_ = ts;
      t = (ts - start_pts_) * time_base_;
    }
    if (skip_non_key_packets_ || codec_->skip_frame != AVDISCARD_DEFAULT) skipped_anything_ = true;
    const int64_t index = skipped_anything_ && info_.fps > 0 ? static_cast<int64_t>(std::llround(t * info_.fps))
                                                             : decoded_ - 1;
    last_t_ = t;
    VIGIL_RETURN_IF_ERROR(OnFrame(frame, t, index));
    av_frame_unref(frame);
  }
  PendingFrame p = std::move(pending_.front());
  pending_.pop_front();
  out->index = p.index;
  out->timestamp_s = p.time_s;
  out->scene_score = p.score;
  if (p.converted) {
    out->key_frame = p.key_frame;
    out->image = std::move(p.image);
  } else {
    out->key_frame = p.frame->key_frame != 0;
    VIGIL_RETURN_IF_ERROR(converter_->Convert(p.frame.get(), &out->image));
  }
  ++emitted_;
  return true;
}

}  // namespace

Result<std::unique_ptr<VideoReader>> VideoReader::Open(const std::string& path, const VideoReaderOptions& options) {
  auto reader = std::make_unique<FFmpegVideoReader>(options);
  VIGIL_RETURN_IF_ERROR(reader->Init(path));
  return std::unique_ptr<VideoReader>(std::move(reader));
}

}  // namespace vigil
