// Logging facade: the library never prints; it sends messages to a sink the application sets.
// Thread-safety: SetLogSink and Log may be called from any thread; the sink must be thread-safe.
#pragma once

#include <functional>
#include <string>

namespace vigil {

enum class LogLevel { kDebug = 0, kInfo, kWarning, kError };

using LogSink = std::function<void(LogLevel level, const std::string& message)>;

// Replaces the sink (default: discard everything). Pass nullptr to discard again.
void SetLogSink(LogSink sink);
// Messages below this level are dropped before reaching the sink (default kInfo).
void SetLogLevel(LogLevel level);
void Log(LogLevel level, const std::string& message);

}  // namespace vigil
