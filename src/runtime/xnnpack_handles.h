// RAII owners for XNNPACK and pthreadpool handles (xnn_operator_t, xnn_runtime_t, pthreadpool_t).
// Only the XNNPACK adapter includes this header.
// Thread-safety: plain unique_ptr semantics.
#pragma once

#include <pthreadpool.h>
#include <xnnpack.h>

#include <memory>
#include <type_traits>

namespace vigil {

struct XnnOperatorDeleter {
  void operator()(xnn_operator_t op) const {
    if (op != nullptr) xnn_delete_operator(op);
  }
};
struct XnnRuntimeDeleter {
  void operator()(xnn_runtime_t runtime) const {
    if (runtime != nullptr) xnn_delete_runtime(runtime);
  }
};
struct PthreadpoolDeleter {
  void operator()(pthreadpool_t pool) const {
    if (pool != nullptr) pthreadpool_destroy(pool);
  }
};

using XnnOperatorPtr = std::unique_ptr<std::remove_pointer_t<xnn_operator_t>, XnnOperatorDeleter>;
using XnnRuntimePtr = std::unique_ptr<std::remove_pointer_t<xnn_runtime_t>, XnnRuntimeDeleter>;
using PthreadpoolPtr = std::unique_ptr<std::remove_pointer_t<pthreadpool_t>, PthreadpoolDeleter>;

}  // namespace vigil
