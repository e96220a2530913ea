// Structured JSON logs, one object per line on stderr: {"ts","level","msg",...fields}.
// PII never goes into logs: callers pass ids and counts, not raw IPs or payloads.
// Thread-safety: Log() is safe from any thread (one write(2) per line).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tapistry {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

void SetLogLevel(LogLevel level);
bool ParseLogLevel(std::string_view s, LogLevel* out);

using LogField = std::pair<std::string_view, std::string>;
void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});

}  // namespace tapistry
