// TargetInput: what one target of an EventBridge rule receives for a matched event. It is the
// whole event (the default), a constant (`Input`), the part of the event an `InputPath`
// selects, or an `InputTransformer` template filled from the event.
//
// TargetInput::create validates a target's input members the way PutTargets does and compiles
// them once: it parses paths and splits the template into literal text and placeholders.
// renderTargetInput then fills one event by walking paths and concatenating. It never
// re-parses the template and never copies the event.
//
// Semantics. Sources: the AWS user guide `eb-transform-target-input`, the API reference
// `InputTransformer`, and LocalStack's `test_events_inputs` snapshot, whose cases were
// recorded against AWS in 2024 (marked "AWS-recorded" below):
// - The three members are mutually exclusive. AWS-recorded message: "Only one of Input,
//   InputPath, or InputTransformer must be provided for target <id>."
// - `Input`: valid JSON of at most 8192 characters. The target gets the text exactly as given.
// - `InputPath`: the selected value's JSON text.
// - Paths. `$`, `.name`, `[n]`, and the wildcards `[*]` and `.*`, plus `['name']` as an
//   extension: AWS documents dot notation only. A name is one or more characters other than
//   white space, control characters and . [ ] * ' " < > \. A path with a wildcard always
//   yields an array of what it reached, possibly empty (Jayway JsonPath's rule for
//   indefinite paths). A path without one yields one value or nothing: a missing member, an
//   index out of range, or a step into a scalar.
// - InputTransformer. `<name>` names an InputPathsMap key or a reserved variable. Placeholder
//   names consist of [A-Za-z0-9_.-]; any other `<...>` is literal text. A template whose first
//   non-blank character is `{` or `[` is a JSON template. In a JSON template, a placeholder
//   inside a string literal gets the raw value (a string's characters unescaped, as the docs
//   warn; any other value as its JSON text). A bare placeholder gets the value's JSON text,
//   so strings come out quoted. Any other template, such as a quoted string
//   ("instance <instance> is in <state>") or plain text, is text: every placeholder gets the
//   raw value, and quotes stay as written (`\"` included).
// - A variable whose path matches nothing: empty text inside a string or text template, and
//   `""` as a bare JSON value (both AWS-recorded).
// - Reserved variables: aws.events.rule-arn, aws.events.rule-name and
//   aws.events.event.ingestion-time (strings from RuleContext); aws.events.event.json (the
//   whole event); aws.events.event (the event without `detail`, with `detail-type` renamed
//   `detailType`, as AWS-recorded). The last two may not stand inside a string literal
//   (the docs: "can only be used as the value of a JSON field").
// - PutTargets rejects these:
//   - a placeholder that is neither a map key nor reserved. AWS-recorded message:
//     "InputTemplate for target <id> contains invalid placeholder <name>."
//   - a placeholder used as an object key.
//   - a JSON template that is not JSON once its bare placeholders stand for values.
//   - the API model's limits: at most 100 map entries, keys matching [A-Za-z0-9_-]+ of 1-256
//     characters that do not start with "AWS" (case-sensitive, as the model states it),
//     values of at most 256 characters that are valid paths, and a template of 1-8192
//     characters.
//   Whether a path exists in events is not checked (the docs: "no validation when creating
//   JSON path").
// - Rendering does not validate its result. A raw string containing a quote yields invalid
//   JSON, and the target receives that text as is, as it does with AWS.
//
// Choices where AWS's behaviour is undocumented:
// - An InputPath that matches nothing delivers `{}`. (LocalStack drops the delivery.)
// - Inside a string or text template, an object or array is inserted as its JSON text.
// - A transformer's output may not exceed kMaxRenderedInputBytes. A template of 8192
//   characters could otherwise repeat <aws.events.event.json> thousands of times. Rendering
//   such an output fails with a ValidationException that names the template.
// - Lengths are counted in Unicode code points, as the API model's constraints are.
// Most error messages are our own. Where AWS's text is known they follow it: the two above,
// and the model's "Value at '<field>' failed to satisfy constraint: ..." form. Every error is
// a ValidationException whose field() is Input, InputPath,
// InputTransformer.InputPathsMap or InputTransformer.InputTemplate.
//
// Thread-safety: TargetInput is an immutable value. Copies share the compiled state, so it
// can be used from any number of threads. RuleContext only borrows its strings for one call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"

namespace bakery::bus {

inline constexpr std::size_t kMaxInputLength = 8192;
inline constexpr std::size_t kMaxInputPathLength = 256;
inline constexpr std::size_t kMaxInputPathsMapEntries = 100;
inline constexpr std::size_t kMaxInputPathsMapKeyLength = 256;
inline constexpr std::size_t kMaxInputTemplateLength = 8192;
// The most a rendered InputTransformer output may hold. This is SQS's and Lambda's
// asynchronous payload limit, and four times the classic event size.
inline constexpr std::size_t kMaxRenderedInputBytes = std::size_t{1024} * 1024;

// The reserved placeholder names.
inline constexpr std::string_view kRuleArnVariable = "aws.events.rule-arn";
inline constexpr std::string_view kRuleNameVariable = "aws.events.rule-name";
inline constexpr std::string_view kIngestionTimeVariable = "aws.events.event.ingestion-time";
inline constexpr std::string_view kEventVariable = "aws.events.event";
inline constexpr std::string_view kEventJsonVariable = "aws.events.event.json";

struct InputTransformer {
  std::map<std::string, std::string> pathsMap;  // InputPathsMap: variable name -> JSON path
  std::string templateText;                     // InputTemplate
};

// A target's input members as PutTargets received them; absent members are nullopt.
struct TargetInputFields {
  std::optional<std::string> input;
  std::optional<std::string> inputPath;
  std::optional<InputTransformer> inputTransformer;
};

// The rule a delivery belongs to. The strings are borrowed for one render call.
struct RuleContext {
  std::string_view ruleArn;
  std::string_view ruleName;
  std::string_view ingestionTime;  // ISO-8601, e.g. "2015-11-11T21:29:54Z"
};

namespace detail {
struct CompiledInput;
}  // namespace detail

class TargetInput {
 public:
  enum class Kind : std::uint8_t { kWholeEvent, kConstant, kPath, kTransformer };

  // The whole event.
  TargetInput() = default;

  // Validates `fields` as PutTargets does for the target `targetId`, which is named in
  // messages, and compiles them.
  static core::Result<TargetInput> create(TargetInputFields fields, std::string_view targetId);

  Kind kind() const { return kind_; }
  // The members as given, for ListTargetsByRule and for persisting the target.
  const TargetInputFields& fields() const { return fields_; }

 private:
  friend core::Result<std::string> renderTargetInput(const TargetInput& input,
                                                     const json::value& event,
                                                     const RuleContext& rule);

  Kind kind_ = Kind::kWholeEvent;
  TargetInputFields fields_;
  std::shared_ptr<const detail::CompiledInput> compiled_;  // null for kWholeEvent and kConstant
};

// The text the target receives for `event`: the event's JSON, the constant, the selected
// value, or the filled template. It fails only when a transformer's output would exceed
// kMaxRenderedInputBytes.
core::Result<std::string> renderTargetInput(const TargetInput& input, const json::value& event,
                                            const RuleContext& rule);

}  // namespace bakery::bus
