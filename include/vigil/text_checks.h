// Checks on text that becomes a file path, a name or a label. NUL and control characters are
// refused everywhere the library accepts such text (job input paths, video and image paths, model
// names and versions, manifest labels, later bank names): C and POSIX APIs stop at a NUL, so
// "a.mp4\0.txt" would silently open "a.mp4", and a control character in a name ends up raw in log
// lines, file names and metrics labels.
// Thread-safety: pure functions, callable from any thread.
//
//   VIGIL_RETURN_IF_ERROR(vigil::CheckText(path, "video path"));     // any path or free text
//   VIGIL_RETURN_IF_ERROR(vigil::CheckName(name, "model name"));     // one path component
#pragma once

#include <string_view>

#include "vigil/status.h"

namespace vigil {

// True when `text` holds a NUL, another C0 control character (0x01-0x1F) or DEL (0x7F).
bool HasControlCharacter(std::string_view text);

// kInvalidArgument "<what> contains a control character (0x00 at byte 12)" when HasControlCharacter;
// the offending text itself is not echoed. Empty text passes (callers decide whether it may be empty).
Status CheckText(std::string_view text, std::string_view what);

// A name used as one path component (model name, bank name): CheckText, plus not empty, at most
// 255 bytes, no '/' or '\\', and not "." or "..". kInvalidArgument naming `what`.
Status CheckName(std::string_view name, std::string_view what);

}  // namespace vigil
