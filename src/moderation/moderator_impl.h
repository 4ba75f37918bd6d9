// The Moderator's state, shared by the image path (moderator.cpp) and the video path
// (video_moderation.cpp): the models (one slot per distinct model), each category's plan, the
// worker pool, counters.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "moderation/task_pool.h"
#include "vigil/moderation.h"

namespace vigil::moderation {

struct ModelSlot {
  std::shared_ptr<const ScoringModel> model;
  ScoreParams params;  // e.g. a detector's lower score threshold for a category's min_score
};

struct CategoryPlan {
  int primary = -1;  // slot of the signal's model
  int second = -1;   // slot of the cascade model, -1 without a cascade
};

// Lower-case hex of bytes (digests).
std::string HexString(const unsigned char* data, size_t size);

// Decision fields every path fills the same way: policy, models, outcome, action, reason, id.
void FinishDecision(const Policy& policy, const std::vector<ModelVersion>& models, Decision* decision);

}  // namespace vigil::moderation

namespace vigil {

struct Moderator::Impl {
  ModeratorOptions options;
  DecodeOptions decode;
  std::vector<moderation::ModelSlot> slots;
  std::vector<ModelVersion> versions;             // per slot
  std::vector<moderation::CategoryPlan> plans;    // per policy category
  std::unique_ptr<moderation::TaskPool> pool;
  mutable std::atomic<int64_t> model_runs{0};
  mutable std::atomic<int64_t> cascade_skipped{0};

  std::chrono::milliseconds deadline() const;
  // Runs each slot's model on all `images` concurrently on the pool; one result per slot, a
  // kDeadlineExceeded error for a model that did not answer by `deadline`.
  std::vector<Result<std::vector<ModelOutput>>> RunModels(const std::vector<int>& slot_ids,
                                                          std::shared_ptr<const std::vector<Image>> images,
                                                          std::chrono::steady_clock::time_point deadline) const;
  // Every category of every image (cascades included); widths/heights: the size boxes map to.
  std::vector<std::vector<CategoryResult>> ScoreImages(const std::vector<Image>& images,
                                                       const std::vector<int>& widths,
                                                       const std::vector<int>& heights) const;
};

}  // namespace vigil
