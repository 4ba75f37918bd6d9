// oneDNN plan helpers shared by the lowering and the backend: the CPU engine, plain descriptors,
// constant reorders (WeightCache), and a Plan's memory planning (buffer lifetimes -> arena offsets).
#include <algorithm>
#include <climits>
#include <vector>

#include "runtime/onednn_plan.h"

namespace vigil {
namespace onednn_internal {

const dnnl::engine& Engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

namespace {

Tag PlainTag(size_t rank) {
  switch (rank) {
    case 1: return Tag::a;
    case 2: return Tag::ab;
    case 3: return Tag::abc;
    case 4: return Tag::abcd;
    case 5: return Tag::abcde;
    default: return Tag::undef;
  }
}

}  // namespace

memory::desc PlainDesc(const memory::dims& dims) { return memory::desc(dims, Dt::f32, PlainTag(dims.size())); }

// `data` (in `plain` layout) reordered into a new memory in `want`. Runs on the calling thread
// alone: an OpenMP team started here would stay alive (idle) on the thread that builds plans, and
// while libgomp manages more threads than there are CPUs it stops spinning between parallel regions
// (GOMP "throttled" spin count), so every primitive of a multi-threaded session running on another
// thread would pay a futex wake-up (measured: MobileNetV2, 2 threads, batch 1: ~230 vs ~550 img/s).
memory ReorderConstant(const memory::desc& plain, const float* data, const memory::desc& want,
                       dnnl::stream& stream) {
  ScopedOmpThreads one(1);
  memory src(plain, Engine(), const_cast<float*>(data));
  memory dst(want, Engine());
  dnnl::reorder(src, dst).execute(stream, src, dst);
  stream.wait();
  return dst;
}

void PlanMemory(Plan* plan) {
  const size_t nb = plan->buffer_bytes.size();
  std::vector<int> first(nb, INT_MAX), last(nb, -1);
  for (size_t i = 0; i < plan->steps.size(); ++i) {
    auto touch = [&](int value) {
      const int b = plan->values[value].buffer;
      if (b < 0) return;
      first[b] = std::min(first[b], static_cast<int>(i));
      last[b] = std::max(last[b], static_cast<int>(i));
    };
    for (const auto& a : plan->steps[i].value_args) touch(a.second);
    if (plan->steps[i].fill_value >= 0) touch(plan->steps[i].fill_value);
  }
  for (size_t b = 0; b < nb; ++b) {
    if (last[b] < 0) first[b] = last[b] = 0;
  }
  std::vector<int> order(nb);
  for (size_t i = 0; i < nb; ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return first[a] < first[b]; });
  std::vector<size_t> block_bytes;
  std::vector<int> block_of(nb, -1), live;
  std::vector<bool> free_block;
  for (int id : order) {
    for (auto it = live.begin(); it != live.end();) {
      if (last[*it] < first[id]) {
        free_block[block_of[*it]] = true;
        it = live.erase(it);
      } else {
        ++it;
      }
    }
    const size_t want = plan->buffer_bytes[id];
    int best = -1;
    for (size_t k = 0; k < free_block.size(); ++k) {
      if (!free_block[k]) continue;
      const size_t size = block_bytes[k], best_size = best < 0 ? 0 : block_bytes[best];
      const bool fits = size >= want, best_fits = best >= 0 && best_size >= want;
      if (best < 0 || (fits && (!best_fits || size < best_size)) || (!fits && !best_fits && size > best_size)) {
        best = static_cast<int>(k);
      }
    }
    if (best < 0) {
      block_bytes.push_back(0);
      free_block.push_back(false);
      best = static_cast<int>(block_bytes.size()) - 1;
    }
    free_block[best] = false;
    block_bytes[best] = std::max(block_bytes[best], want);
    block_of[id] = best;
    live.push_back(id);
  }
  std::vector<size_t> block_offset(block_bytes.size());
  size_t offset = 0;
  for (size_t k = 0; k < block_bytes.size(); ++k) {
    block_offset[k] = offset;
    offset += (block_bytes[k] + kAlignment - 1) / kAlignment * kAlignment;
  }
  plan->arena_bytes = offset;
  plan->buffer_offset.resize(nb);
  for (size_t b = 0; b < nb; ++b) plan->buffer_offset[b] = block_offset[block_of[b]];
}

}  // namespace onednn_internal
}  // namespace vigil
