#include "core/json.h"

#include <cmath>
#include <iterator>
#include <limits>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

namespace bakery::core {

Result<json::value> parseJson(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  // Boost.JSON's default depth limit (32) is below what DynamoDB documents allow: an item may
  // nest 32 levels of maps and lists, two JSON levels each. The bound still protects the
  // parser's stack; layers above enforce their own (narrower) limits with their own messages.
  json::parse_options options;
  options.max_depth = 128;
  json::value v = json::parse(text, ec, {}, options);
  if (ec) {
    return Error::validation(std::string(what) + " is not valid JSON: " + ec.message(),
                             std::string(what));
  }
  return v;
}

namespace {

void appendString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes that need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;  // UTF-8 bytes pass through
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (u) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[u >> 4]);
        out.push_back(kHex[u & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

}  // namespace

void appendJson(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      fmt::format_to(std::back_inserter(out), "{}", v.get_int64());
      break;
    case json::kind::uint64:
      fmt::format_to(std::back_inserter(out), "{}", v.get_uint64());
      break;
    case json::kind::double_: {
      double d = v.get_double();
      if (std::isfinite(d)) {
        fmt::format_to(std::back_inserter(out), "{}", d);
      } else {
        out += "null";
      }
      break;
    }
    case json::kind::string:
      appendString(out, v.get_string());
      break;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        appendJson(out, e);
      }
      out.push_back(']');
      break;
    }
    case json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        appendString(out, kv.key());
        out.push_back(':');
        appendJson(out, kv.value());
      }
      out.push_back('}');
      break;
    }
  }
}

void appendJsonString(std::string& out, std::string_view s) { appendString(out, s); }

std::string toJson(const json::value& v) {
  std::string out;
  out.reserve(v.is_structured() ? 1024 : 64);
  appendJson(out, v);
  return out;
}

std::optional<std::int64_t> integerValue(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() &&
      v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  return std::nullopt;
}

std::optional<std::string_view> stringMember(const json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_string()) return std::nullopt;
  const json::string& s = it->value().get_string();
  return std::string_view(s.data(), s.size());
}

}  // namespace bakery::core
