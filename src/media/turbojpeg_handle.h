// Internal to src/media: the libturbojpeg handle owner shared by the JPEG decoder and encoder.
// Thread-safety: one handle per thread (a handle is not thread-safe).
#pragma once

#include <turbojpeg.h>

#include <memory>

namespace vigil::media {

struct TjDeleter {
  void operator()(void* handle) const {
    if (handle != nullptr) tjDestroy(handle);
  }
};
using TjHandle = std::unique_ptr<void, TjDeleter>;

}  // namespace vigil::media
