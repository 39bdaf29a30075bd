#include "platform/bus/input/target_input.h"

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

namespace bakery::bus {

namespace {

constexpr std::string_view kInputField = "Input";
constexpr std::string_view kInputPathField = "InputPath";
constexpr std::string_view kPathsMapField = "InputTransformer.InputPathsMap";
constexpr std::string_view kTemplateField = "InputTransformer.InputTemplate";

// Unicode code points in UTF-8 text: every byte that does not continue a sequence.
std::size_t codePoints(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

core::Error invalid(std::string message, std::string_view field) {
  return core::Error::validation(std::move(message), std::string(field));
}

// The API model's constraint messages.
core::Error constraint(std::string_view field, std::string_view what) {
  return invalid(fmt::format("Value at '{}' failed to satisfy constraint: {}", field, what), field);
}

std::optional<core::Error> checkLength(std::string_view text, std::size_t min, std::size_t max,
                                       std::string_view field) {
  std::size_t n = codePoints(text);
  if (n < min) {
    return constraint(field,
                      fmt::format("Member must have length greater than or equal to {}", min));
  }
  if (n > max) {
    return constraint(field, fmt::format("Member must have length less than or equal to {}", max));
  }
  return std::nullopt;
}

// ---- JSON paths ----

struct PathStep {
  enum class Kind : std::uint8_t { kName, kIndex, kWildcard };
  Kind kind;
  std::string name;
  std::size_t index = 0;
};

bool isNameChar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u == 0x7F) {
    return false;  // white space and control characters
  }
  switch (c) {
    case '.':
    case '[':
    case ']':
    case '*':
    case '\'':
    case '"':
    case '<':
    case '>':
    case '\\':
      return false;
    default:
      return true;
  }
}

// A parsed path of the supported subset. Selecting borrows from the event; nothing is copied.
class JsonPath {
 public:
  // The path, or an error whose message says what is wrong (callers add the context).
  static core::Result<JsonPath> parse(std::string_view text) {
    auto fail = [](std::string reason) { return core::Error::validation(std::move(reason)); };
    if (text.empty() || text[0] != '$') {
      return fail("it must start with $");
    }
    JsonPath path;
    std::size_t i = 1;
    while (i < text.size()) {
      char c = text[i];
      if (c == '.') {
        ++i;
        if (i < text.size() && text[i] == '*') {
          path.steps_.push_back({PathStep::Kind::kWildcard, {}, 0});
          path.definite_ = false;
          ++i;
          continue;
        }
        std::size_t start = i;
        while (i < text.size() && isNameChar(text[i])) {
          ++i;
        }
        if (i == start) {
          return fail(i < text.size()
                          ? fmt::format("unexpected '{}' at character {}", text[i], i + 1)
                          : std::string("it ends with '.'"));
        }
        path.steps_.push_back({PathStep::Kind::kName, std::string(text.substr(start, i - start))});
        continue;
      }
      if (c != '[') {
        return fail(fmt::format("unexpected '{}' at character {}", c, i + 1));
      }
      std::size_t open = i++;
      auto unterminated = [&] {
        return fail(fmt::format("the '[' at character {} is not closed", open + 1));
      };
      if (i >= text.size()) {
        return unterminated();
      }
      if (text[i] == '*') {
        ++i;
        if (i >= text.size() || text[i] != ']') {
          return unterminated();
        }
        ++i;
        path.steps_.push_back({PathStep::Kind::kWildcard, {}, 0});
        path.definite_ = false;
      } else if (text[i] == '\'' || text[i] == '"') {
        char quote = text[i++];
        std::size_t start = i;
        while (i < text.size() && text[i] != quote) {
          ++i;
        }
        if (i + 1 >= text.size() || text[i + 1] != ']') {
          return unterminated();
        }
        if (i == start) {
          return fail(fmt::format("empty name at character {}", open + 1));
        }
        path.steps_.push_back({PathStep::Kind::kName, std::string(text.substr(start, i - start))});
        i += 2;
      } else {
        std::size_t start = i;
        std::size_t index = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
          auto digit = static_cast<std::size_t>(text[i] - '0');
          if (index > (std::numeric_limits<std::size_t>::max() - digit) / 10) {
            return fail(fmt::format("the index at character {} is too large", start + 1));
          }
          index = index * 10 + digit;
          ++i;
        }
        if (i == start) {
          return fail(i < text.size()
                          ? fmt::format("unexpected '{}' at character {}", text[i], i + 1)
                          : unterminated().message());
        }
        if (i >= text.size() || text[i] != ']') {
          return unterminated();
        }
        ++i;
        path.steps_.push_back({PathStep::Kind::kIndex, {}, index});
      }
    }
    return path;
  }

  bool definite() const { return definite_; }

  // For a definite path: the value, or null when the event has none there.
  const json::value* find(const json::value& root) const {
    const json::value* v = &root;
    for (const PathStep& step : steps_) {
      v = child(*v, step);
      if (v == nullptr) {
        return nullptr;
      }
    }
    return v;
  }

  // For any path: every value reached, in document order.
  void collect(const json::value& v, std::size_t step, std::vector<const json::value*>& out) const {
    if (step == steps_.size()) {
      out.push_back(&v);
      return;
    }
    const PathStep& s = steps_[step];
    if (s.kind != PathStep::Kind::kWildcard) {
      if (const json::value* c = child(v, s)) {
        collect(*c, step + 1, out);
      }
      return;
    }
    if (const json::array* a = v.if_array()) {
      for (const json::value& e : *a) {
        collect(e, step + 1, out);
      }
    } else if (const json::object* o = v.if_object()) {
      for (const auto& member : *o) {
        collect(member.value(), step + 1, out);
      }
    }
  }

 private:
  static const json::value* child(const json::value& v, const PathStep& step) {
    if (step.kind == PathStep::Kind::kName) {
      const json::object* o = v.if_object();
      return o == nullptr ? nullptr : o->if_contains(step.name);
    }
    const json::array* a = v.if_array();
    return a == nullptr || step.index >= a->size() ? nullptr : &(*a)[step.index];
  }

  std::vector<PathStep> steps_;
  bool definite_ = true;
};

// Appends `v` as a JSON value, or in raw position a string's characters without escaping.
void appendValue(std::string& out, const json::value& v, bool raw) {
  if (raw && v.is_string()) {
    const json::string& s = v.get_string();
    out.append(s.data(), s.size());
  } else {
    core::appendJson(out, v);
  }
}

// Appends what `path` selects in `event`; false when a definite path selects nothing (an
// indefinite path always yields an array).
bool appendSelected(std::string& out, const JsonPath& path, const json::value& event, bool raw) {
  if (path.definite()) {
    const json::value* v = path.find(event);
    if (v == nullptr) {
      return false;
    }
    appendValue(out, *v, raw);
    return true;
  }
  std::vector<const json::value*> values;
  path.collect(event, 0, values);
  out.push_back('[');
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    core::appendJson(out, *values[i]);
  }
  out.push_back(']');
  return true;
}

// <aws.events.event>: the event without `detail`, `detail-type` renamed as AWS names it.
void appendEventWithoutDetail(std::string& out, const json::value& event) {
  const json::object* o = event.if_object();
  if (o == nullptr) {
    core::appendJson(out, event);
    return;
  }
  out.push_back('{');
  bool first = true;
  for (const auto& member : *o) {
    std::string_view key = member.key();
    if (key == "detail") {
      continue;
    }
    if (!first) {
      out.push_back(',');
    }
    first = false;
    core::appendJsonString(out, key == "detail-type" ? std::string_view("detailType") : key);
    out.push_back(':');
    core::appendJson(out, member.value());
  }
  out.push_back('}');
}

// ---- templates ----

enum class VariableKind : std::uint8_t {
  kPath,
  kRuleArn,
  kRuleName,
  kIngestionTime,
  kEvent,
  kEventJson
};

struct Variable {
  VariableKind kind = VariableKind::kPath;
  JsonPath path;  // for kPath
};

// Literal text followed by at most one placeholder.
struct Segment {
  std::string literal;
  int variable = -1;  // index into CompiledTemplate::variables; -1 for the trailing text
  bool raw = false;   // inside a string literal, or in a text template
};

struct CompiledTemplate {
  std::vector<Variable> variables;
  std::vector<Segment> segments;
  std::size_t literalBytes = 0;
};

std::optional<VariableKind> reservedVariable(std::string_view name) {
  if (name == kRuleArnVariable) {
    return VariableKind::kRuleArn;
  }
  if (name == kRuleNameVariable) {
    return VariableKind::kRuleName;
  }
  if (name == kIngestionTimeVariable) {
    return VariableKind::kIngestionTime;
  }
  if (name == kEventVariable) {
    return VariableKind::kEvent;
  }
  if (name == kEventJsonVariable) {
    return VariableKind::kEventJson;
  }
  return std::nullopt;
}

bool isPlaceholderChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

// The placeholder name when `text` holds `<name>` at `at`; empty otherwise.
std::string_view placeholderAt(std::string_view text, std::size_t at) {
  std::size_t i = at + 1;
  while (i < text.size() && isPlaceholderChar(text[i])) {
    ++i;
  }
  if (i == at + 1 || i >= text.size() || text[i] != '>') {
    return {};
  }
  return text.substr(at + 1, i - at - 1);
}

bool isJsonTemplate(std::string_view text) {
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      continue;
    }
    return c == '{' || c == '[';
  }
  return false;
}

// Splits the template into segments in one pass, tracking JSON string literals, and for a
// JSON template the container stack to tell keys from values. The template's JSON validity
// is checked on a probe copy in which every bare placeholder stands for a value.
core::Result<CompiledTemplate> compileTemplate(const InputTransformer& transformer,
                                               std::map<std::string_view, JsonPath> paths,
                                               std::string_view targetId) {
  std::string_view text = transformer.templateText;
  const bool json = isJsonTemplate(text);
  CompiledTemplate compiled;
  std::map<std::string_view, int> variableIndex;
  std::vector<char> containers;  // '{' or '[' of the open JSON containers
  bool expectKey = false;        // at an object's key position
  bool inString = false;
  bool inKey = false;  // the string literal being read is an object key
  bool escaped = false;
  std::string literal;
  std::string probe;

  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '<') {
      std::string_view name = placeholderAt(text, i);
      if (!name.empty()) {
        int index;
        if (auto it = variableIndex.find(name); it != variableIndex.end()) {
          index = it->second;
        } else {
          if (auto reserved = reservedVariable(name)) {
            compiled.variables.push_back({*reserved, {}});
          } else if (auto p = paths.find(name); p != paths.end()) {
            compiled.variables.push_back({VariableKind::kPath, std::move(p->second)});
          } else {
            return invalid(
                fmt::format("InputTemplate for target {} contains invalid placeholder {}.",
                            targetId, name),
                kTemplateField);
          }
          index = static_cast<int>(compiled.variables.size()) - 1;
          variableIndex.emplace(name, index);
        }
        bool atKey =
            json &&
            (inString ? inKey : expectKey && !containers.empty() && containers.back() == '{');
        if (atKey) {
          return invalid(fmt::format("InputTemplate for target {} uses placeholder {} as an object "
                                     "key; a placeholder can only stand for a value.",
                                     targetId, name),
                         kTemplateField);
        }
        VariableKind kind = compiled.variables[static_cast<std::size_t>(index)].kind;
        if (inString && (kind == VariableKind::kEvent || kind == VariableKind::kEventJson)) {
          return invalid(fmt::format("InputTemplate for target {} uses placeholder {} inside a "
                                     "string; it can only be used as a JSON value.",
                                     targetId, name),
                         kTemplateField);
        }
        compiled.literalBytes += literal.size();
        compiled.segments.push_back({std::move(literal), index, !json || inString});
        literal.clear();
        if (!inString) {
          probe += "null";
        }
        escaped = false;
        i += name.size() + 1;
        continue;
      }
    }
    literal.push_back(c);
    probe.push_back(c);
    if (inString) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        inString = false;
        inKey = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        inString = true;
        inKey = expectKey && !containers.empty() && containers.back() == '{';
        break;
      case '{':
        containers.push_back('{');
        expectKey = true;
        break;
      case '[':
        containers.push_back('[');
        expectKey = false;
        break;
      case '}':
      case ']':
        if (!containers.empty()) {
          containers.pop_back();
        }
        expectKey = false;
        break;
      case ',':
        expectKey = !containers.empty() && containers.back() == '{';
        break;
      case ':':
        expectKey = false;
        break;
      default:
        break;
    }
  }
  if (!literal.empty()) {
    compiled.literalBytes += literal.size();
    compiled.segments.push_back({std::move(literal), -1, false});
  }

  if (json) {
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = 128;
    (void)json::parse(probe, ec, {}, options);
    if (ec) {
      return invalid(
          fmt::format("InputTemplate for target {} is not valid JSON: {}", targetId, ec.message()),
          kTemplateField);
    }
  }
  return compiled;
}

core::Result<std::map<std::string_view, JsonPath>> compilePathsMap(
    const std::map<std::string, std::string>& pathsMap, std::string_view targetId) {
  if (pathsMap.size() > kMaxInputPathsMapEntries) {
    return constraint(
        kPathsMapField,
        fmt::format("Member must have length less than or equal to {}", kMaxInputPathsMapEntries));
  }
  std::map<std::string_view, JsonPath> paths;
  for (const auto& [key, value] : pathsMap) {
    std::size_t keyLength = codePoints(key);
    if (keyLength < 1 || keyLength > kMaxInputPathsMapKeyLength) {
      return constraint(kPathsMapField,
                        keyLength < 1
                            ? std::string("Map keys must satisfy constraint: [Member must have "
                                          "length greater than or equal to 1]")
                            : fmt::format("Map keys must satisfy constraint: [Member must have "
                                          "length less than or equal to {}]",
                                          kMaxInputPathsMapKeyLength));
    }
    for (char c : key) {
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-';
      if (!ok) {
        return constraint(kPathsMapField,
                          "Map keys must satisfy constraint: [Member must satisfy regular "
                          "expression pattern: [A-Za-z0-9\\_\\-]+]");
      }
    }
    if (key.starts_with("AWS")) {
      return invalid(fmt::format("InputPathsMap key {} for target {} is not allowed: keys cannot "
                                 "start with \"AWS\".",
                                 key, targetId),
                     kPathsMapField);
    }
    if (codePoints(value) > kMaxInputPathLength) {
      return constraint(kPathsMapField,
                        fmt::format("Map value must satisfy constraint: [Member must have length "
                                    "less than or equal to {}]",
                                    kMaxInputPathLength));
    }
    auto path = JsonPath::parse(value);
    if (!path) {
      return invalid(fmt::format("InputPathsMap value {} for key {} of target {} is not a valid "
                                 "JSON path: {}.",
                                 value, key, targetId, path.error().message()),
                     kPathsMapField);
    }
    paths.emplace(key, std::move(path).value());
  }
  return paths;
}

}  // namespace

namespace detail {

struct CompiledInput {
  JsonPath inputPath;            // kPath
  CompiledTemplate transformer;  // kTransformer
};

}  // namespace detail

core::Result<TargetInput> TargetInput::create(TargetInputFields fields, std::string_view targetId) {
  int given =
      (fields.input ? 1 : 0) + (fields.inputPath ? 1 : 0) + (fields.inputTransformer ? 1 : 0);
  if (given > 1) {
    // Names the member that conflicts with one before it, in the API's order.
    std::string_view field = fields.inputTransformer ? "InputTransformer" : kInputPathField;
    return invalid(fmt::format("Only one of Input, InputPath, or InputTransformer must be provided "
                               "for target {}.",
                               targetId),
                   field);
  }

  TargetInput result;
  if (fields.input) {
    if (auto error = checkLength(*fields.input, 0, kMaxInputLength, kInputField)) {
      return *error;
    }
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = 128;
    (void)json::parse(*fields.input, ec, {}, options);
    if (ec) {
      return invalid(
          fmt::format("JSON syntax error in input for target {}: {}", targetId, ec.message()),
          kInputField);
    }
    result.kind_ = Kind::kConstant;
  } else if (fields.inputPath) {
    if (auto error = checkLength(*fields.inputPath, 0, kMaxInputPathLength, kInputPathField)) {
      return *error;
    }
    auto path = JsonPath::parse(*fields.inputPath);
    if (!path) {
      return invalid(fmt::format("InputPath {} for target {} is not a valid JSON path: {}.",
                                 *fields.inputPath, targetId, path.error().message()),
                     kInputPathField);
    }
    auto compiled = std::make_shared<detail::CompiledInput>();
    compiled->inputPath = std::move(path).value();
    result.kind_ = Kind::kPath;
    result.compiled_ = std::move(compiled);
  } else if (fields.inputTransformer) {
    const InputTransformer& transformer = *fields.inputTransformer;
    if (auto error =
            checkLength(transformer.templateText, 1, kMaxInputTemplateLength, kTemplateField)) {
      return *error;
    }
    auto paths = compilePathsMap(transformer.pathsMap, targetId);
    if (!paths) {
      return paths.error();
    }
    auto compiledTemplate = compileTemplate(transformer, std::move(paths).value(), targetId);
    if (!compiledTemplate) {
      return compiledTemplate.error();
    }
    auto compiled = std::make_shared<detail::CompiledInput>();
    compiled->transformer = std::move(compiledTemplate).value();
    result.kind_ = Kind::kTransformer;
    result.compiled_ = std::move(compiled);
  }
  result.fields_ = std::move(fields);
  return result;
}

namespace {

void appendText(std::string& out, std::string_view text, bool raw) {
  if (raw) {
    out.append(text);
  } else {
    core::appendJsonString(out, text);
  }
}

void appendVariable(std::string& out, const Variable& variable, bool raw, const json::value& event,
                    const RuleContext& rule) {
  switch (variable.kind) {
    case VariableKind::kPath:
      // A path that matched nothing: empty text, or an empty string as a JSON value.
      if (!appendSelected(out, variable.path, event, raw) && !raw) {
        out += "\"\"";
      }
      break;
    case VariableKind::kRuleArn:
      appendText(out, rule.ruleArn, raw);
      break;
    case VariableKind::kRuleName:
      appendText(out, rule.ruleName, raw);
      break;
    case VariableKind::kIngestionTime:
      appendText(out, rule.ingestionTime, raw);
      break;
    case VariableKind::kEvent:
      appendEventWithoutDetail(out, event);
      break;
    case VariableKind::kEventJson:
      core::appendJson(out, event);
      break;
  }
}

}  // namespace

core::Result<std::string> renderTargetInput(const TargetInput& input, const json::value& event,
                                            const RuleContext& rule) {
  switch (input.kind_) {
    case TargetInput::Kind::kWholeEvent:
      return core::toJson(event);
    case TargetInput::Kind::kConstant:
      return *input.fields_.input;
    case TargetInput::Kind::kPath: {
      std::string out;
      if (!appendSelected(out, input.compiled_->inputPath, event, false)) {
        out = "{}";
      }
      return out;
    }
    case TargetInput::Kind::kTransformer:
      break;
  }
  const CompiledTemplate& compiled = input.compiled_->transformer;
  std::string out;
  out.reserve(compiled.literalBytes + 16 * compiled.segments.size());
  for (const Segment& segment : compiled.segments) {
    out += segment.literal;
    if (segment.variable < 0) {
      continue;
    }
    appendVariable(out, compiled.variables[static_cast<std::size_t>(segment.variable)], segment.raw,
                   event, rule);
    if (out.size() > kMaxRenderedInputBytes) {
      return invalid(
          fmt::format("The transformed input is larger than {} bytes.", kMaxRenderedInputBytes),
          kTemplateField);
    }
  }
  if (out.size() > kMaxRenderedInputBytes) {
    return invalid(
        fmt::format("The transformed input is larger than {} bytes.", kMaxRenderedInputBytes),
        kTemplateField);
  }
  return out;
}

}  // namespace bakery::bus
