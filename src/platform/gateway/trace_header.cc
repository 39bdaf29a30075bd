#include "platform/gateway/trace_header.h"

#include <algorithm>

namespace bakery::gateway {
namespace {

bool isLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool allZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

}  // namespace

std::optional<ParsedTraceparent> parseTraceparent(std::string_view h) {
  // vv-<32 hex>-<16 hex>-ff: 55 characters; later versions may append "-..." fields.
  if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  std::string_view version = h.substr(0, 2), trace = h.substr(3, 32), parent = h.substr(36, 16),
                   flags = h.substr(53, 2);
  if (!isLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" && h.size() != 55) return std::nullopt;
  if (version != "00" && h.size() > 55 && h[55] != '-') return std::nullopt;
  if (!isLowerHex(trace) || !isLowerHex(parent) || !isLowerHex(flags)) return std::nullopt;
  if (allZero(trace) || allZero(parent)) return std::nullopt;
  int f = std::stoi(std::string(flags), nullptr, 16);
  return ParsedTraceparent{std::string(trace), std::string(parent), (f & 1) != 0};
}

TraceContext continueOrStartTrace(std::optional<std::string_view> header, core::IdGenerator& ids) {
  TraceContext t;
  if (header) {
    if (auto p = parseTraceparent(*header)) {
      t.traceId = std::move(p->traceId);
      t.parentSpanId = std::move(p->parentId);
      t.sampled = p->sampled;
      t.spanId = ids.spanId();
      return t;
    }
  }
  t.traceId = ids.traceId();
  t.spanId = ids.spanId();
  t.sampled = true;
  return t;
}

bool isValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
  });
}

}  // namespace bakery::gateway
