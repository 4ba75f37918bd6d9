// SessionPool: the idle inference sessions of one loaded model, so that concurrent callers each run
// their own Session (a Session is not thread-safe; the Backend is).
// Thread-safety: Acquire/Release/Run may be called from any number of threads at once.
//
//   SessionPool pool(backend.get(), session_options);
//   VIGIL_RETURN_IF_ERROR(pool.Warm());              // fail at load time if the backend cannot run it
//   VIGIL_RETURN_IF_ERROR(pool.Run(input, &outputs)); // one idle session, or a new one
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "runtime/backend.h"

namespace vigil {

class SessionPool {
 public:
  // `backend` must outlive the pool.
  SessionPool(const Backend* backend, SessionOptions options)
      : backend_(backend), options_(options) {}

  // An idle session, or a new one when every session is busy.
  Result<std::unique_ptr<Session>> Acquire() const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<Session> s = std::move(idle_.back());
        idle_.pop_back();
        return s;
      }
    }
    return backend_->CreateSession(options_);
  }
  void Release(std::unique_ptr<Session> session) const {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(session));
  }
  // Creates one session now and keeps it idle.
  Status Warm() const {
    VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Session> s, backend_->CreateSession(options_));
    Release(std::move(s));
    return Status::Ok();
  }
  // Runs `input` on a pooled session.
  Status Run(const Tensor& input, std::vector<Tensor>* outputs) const {
    VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Acquire());
    Status status = session->Run(input, outputs);
    Release(std::move(session));
    return status;
  }

 private:
  const Backend* backend_;
  SessionOptions options_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Session>> idle_;
};

}  // namespace vigil
