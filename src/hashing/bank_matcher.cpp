// BankMatcher (include/vigil/bank_matcher.h): a PdqMatcher snapshot behind a mutex-guarded
// shared_ptr, rebuilt from the store by Refresh() (sharing unchanged banks with the previous
// snapshot) and by a background thread every refresh_seconds. Refreshes are serialised by their
// own mutex so a slow reload never blocks Match().
#include "vigil/bank_matcher.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "vigil/log.h"

namespace vigil {

struct BankMatcher::State {
  std::unique_ptr<BankStore> store;
  BankMatcherOptions options;
  std::mutex refresh_mutex;  // one refresh at a time
  mutable std::mutex snapshot_mutex;
  std::shared_ptr<const PdqMatcher> snapshot;
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stop = false;
  std::thread thread;
};

BankMatcher::BankMatcher(std::unique_ptr<State> state) : state_(std::move(state)) {}

Result<std::unique_ptr<BankMatcher>> BankMatcher::Create(std::unique_ptr<BankStore> store,
                                                         const BankMatcherOptions& options) {
  if (store == nullptr) return InvalidArgumentError("bank matcher: no store");
  if (!(options.refresh_seconds >= 0)) return InvalidArgumentError("bank matcher: refresh_seconds must be >= 0");
  auto state = std::make_unique<State>();
  state->store = std::move(store);
  state->options = options;
  std::unique_ptr<BankMatcher> matcher(new BankMatcher(std::move(state)));
  VIGIL_RETURN_IF_ERROR(matcher->Refresh());
  if (options.refresh_seconds > 0) {
    State* s = matcher->state_.get();
    BankMatcher* self = matcher.get();
    s->thread = std::thread([s, self] {
      const auto period = std::chrono::duration<double>(s->options.refresh_seconds);
      std::unique_lock<std::mutex> lock(s->stop_mutex);
      while (!s->stop_cv.wait_for(lock, period, [s] { return s->stop; })) {
        lock.unlock();
        if (Status st = self->Refresh(); !st.ok()) {
          Log(LogLevel::kWarning, "hash banks: refresh failed (matching keeps the last snapshot): " + st.ToString());
        }
        lock.lock();
      }
    });
  }
  return matcher;
}

BankMatcher::~BankMatcher() {
  {
    std::lock_guard<std::mutex> lock(state_->stop_mutex);
    state_->stop = true;
  }
  state_->stop_cv.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

BankStore& BankMatcher::store() { return *state_->store; }

Status BankMatcher::Refresh() {
  std::lock_guard<std::mutex> refresh(state_->refresh_mutex);
  std::shared_ptr<const PdqMatcher> previous = Current();
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<PdqMatcher> next, PdqMatcher::Create(*state_->store, {}, previous.get()));
  std::shared_ptr<const PdqMatcher> shared(std::move(next));
  std::lock_guard<std::mutex> lock(state_->snapshot_mutex);
  state_->snapshot = std::move(shared);
  return Status::Ok();
}

std::shared_ptr<const PdqMatcher> BankMatcher::Current() const {
  std::lock_guard<std::mutex> lock(state_->snapshot_mutex);
  return state_->snapshot;
}

namespace {

std::vector<BankMatch> OnlyBanks(std::vector<BankMatch> matches, const std::vector<std::string>& banks) {
  if (banks.empty()) return matches;
  matches.erase(std::remove_if(matches.begin(), matches.end(),
                               [&](const BankMatch& m) {
                                 return std::find(banks.begin(), banks.end(), m.bank) == banks.end();
                               }),
                matches.end());
  return matches;
}

}  // namespace

std::vector<BankMatch> BankMatcher::Match(const PdqDihedralResult& query, const std::vector<std::string>& banks) const {
  std::shared_ptr<const PdqMatcher> snapshot = Current();
  return snapshot ? OnlyBanks(snapshot->Match(query), banks) : std::vector<BankMatch>{};
}

std::vector<BankMatch> BankMatcher::Match(const PdqResult& query, const std::vector<std::string>& banks) const {
  std::shared_ptr<const PdqMatcher> snapshot = Current();
  return snapshot ? OnlyBanks(snapshot->Match(query), banks) : std::vector<BankMatch>{};
}

}  // namespace vigil
