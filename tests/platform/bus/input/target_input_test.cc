#include "platform/bus/input/target_input.h"

#include <map>
#include <string>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/json.h"

namespace bakery::bus {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The EC2 example event of the AWS user guide (eb-transform-target-input).
constexpr std::string_view kEc2Event = R"({
  "version": "0",
  "id": "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "123456789012",
  "time": "2015-11-11T21:29:54Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
  "detail": {"instance-id": "i-0123456789", "state": "RUNNING"}
})";

constexpr std::string_view kItemsEvent = R"({
  "detail-type": "Order Placed",
  "source": "shop",
  "detail": {
    "count": 42,
    "flag": true,
    "nothing": null,
    "quote": "say \"hi\"",
    "customer": {"name": "Ann", "tier": "gold"},
    "items": [{"id": 1, "sku": "a-1"}, {"id": 2}, {"sku": "c-3"}],
    "empty": []
  }
})";

const RuleContext kRule{"arn:aws:events:us-east-2:123456789012:rule/example", "example",
                        "2015-11-11T21:29:55Z"};

json::value parse(std::string_view text) { return core::parseJson(text, "test JSON").value(); }

// The docs' InputPathsMap for the EC2 example.
const std::map<std::string, std::string> kEc2Paths = {
    {"timestamp", "$.time"}, {"instance", "$.detail.instance-id"}, {"state", "$.detail.state"}};

TargetInput create(TargetInputFields fields) {
  auto input = TargetInput::create(std::move(fields), "t1");
  EXPECT_TRUE(input.ok()) << input.error().message();
  return input.ok() ? input.value() : TargetInput();
}

TargetInput transformer(std::map<std::string, std::string> paths, std::string templateText) {
  return create({.inputTransformer = InputTransformer{std::move(paths), std::move(templateText)}});
}

std::string render(const TargetInput& input, std::string_view event = kEc2Event) {
  auto out = renderTargetInput(input, parse(event), kRule);
  EXPECT_TRUE(out.ok()) << out.error().message();
  return out.ok() ? out.value() : std::string();
}

std::string renderTemplate(std::map<std::string, std::string> paths, std::string templateText,
                           std::string_view event = kEc2Event) {
  return render(transformer(std::move(paths), std::move(templateText)), event);
}

core::Error rejected(TargetInputFields fields) {
  auto input = TargetInput::create(std::move(fields), "t1");
  EXPECT_FALSE(input.ok());
  if (input.ok()) {
    return core::Error::internal("accepted");
  }
  EXPECT_EQ(input.error().type(), "ValidationException");
  EXPECT_EQ(input.error().status(), 400);
  return input.error();
}

core::Error rejectedTransformer(std::map<std::string, std::string> paths,
                                std::string templateText) {
  return rejected(
      {.inputTransformer = InputTransformer{std::move(paths), std::move(templateText)}});
}

core::Error rejectedPath(std::string path) { return rejected({.inputPath = std::move(path)}); }

// ---- the whole event ----

TEST(TargetInputTest, DefaultTargetReceivesTheWholeEvent) {
  TargetInput input;
  EXPECT_EQ(input.kind(), TargetInput::Kind::kWholeEvent);
  EXPECT_EQ(parse(render(input)), parse(kEc2Event));
}

TEST(TargetInputTest, NoInputMembersMeansTheWholeEvent) {
  TargetInput input = create({});
  EXPECT_EQ(input.kind(), TargetInput::Kind::kWholeEvent);
  EXPECT_EQ(render(input), core::toJson(parse(kEc2Event)));
}

// ---- Input ----

TEST(TargetInputTest, ConstantInputIsDeliveredExactlyAsGiven) {
  const std::string constant = R"({ "key": "value", "hoge": [ 1, true, "fuga" ] })";
  TargetInput input = create({.input = constant});
  EXPECT_EQ(input.kind(), TargetInput::Kind::kConstant);
  EXPECT_EQ(render(input), constant);
}

TEST(TargetInputTest, ConstantInputMayBeAnyJsonValue) {
  EXPECT_EQ(render(create({.input = "\"just text\""})), "\"just text\"");
  EXPECT_EQ(render(create({.input = "42"})), "42");
}

TEST(TargetInputTest, InputMustBeValidJson) {
  core::Error error = rejected({.input = "env:dev"});
  EXPECT_THAT(error.message(), StartsWith("JSON syntax error in input for target t1: "));
  EXPECT_EQ(error.field(), "Input");
  EXPECT_EQ(rejected({.input = ""}).field(), "Input");
  EXPECT_EQ(rejected({.input = "{'env':'dev'}"}).field(), "Input");
}

TEST(TargetInputTest, InputAcceptsAtMost8192Characters) {
  create({.input = "\"" + std::string(8190, 'a') + "\""});
  core::Error error = rejected({.input = "\"" + std::string(8191, 'a') + "\""});
  EXPECT_EQ(error.message(),
            "Value at 'Input' failed to satisfy constraint: Member must have length less than or "
            "equal to 8192");
  EXPECT_EQ(error.field(), "Input");
}

TEST(TargetInputTest, InputLengthCountsCharactersNotBytes) {
  std::string accents;
  for (int i = 0; i < 8190; ++i) {
    accents += "\xC3\xA9";  // é, two bytes
  }
  create({.input = "\"" + accents + "\""});
}

// ---- mutual exclusion ----

TEST(TargetInputTest, InputAndInputPathAreMutuallyExclusive) {
  core::Error error = rejected({.input = "{}", .inputPath = "$.detail"});
  EXPECT_EQ(error.message(),
            "Only one of Input, InputPath, or InputTransformer must be provided for target t1.");
  EXPECT_EQ(error.field(), "InputPath");
}

TEST(TargetInputTest, InputPathAndInputTransformerAreMutuallyExclusive) {
  core::Error error =
      rejected({.inputPath = "$.detail", .inputTransformer = InputTransformer{{}, "\"constant\""}});
  EXPECT_EQ(error.message(),
            "Only one of Input, InputPath, or InputTransformer must be provided for target t1.");
  EXPECT_EQ(error.field(), "InputTransformer");
}

TEST(TargetInputTest, InputAndInputTransformerAreMutuallyExclusive) {
  EXPECT_EQ(rejected({.input = "{}", .inputTransformer = InputTransformer{{}, "\"x\""}}).field(),
            "InputTransformer");
}

// ---- InputPath ----

TEST(TargetInputTest, InputPathDeliversTheSelectedObject) {
  TargetInput input = create({.inputPath = "$.detail"});
  EXPECT_EQ(input.kind(), TargetInput::Kind::kPath);
  EXPECT_EQ(render(input), R"({"instance-id":"i-0123456789","state":"RUNNING"})");
}

TEST(TargetInputTest, InputPathToAStringDeliversItQuoted) {
  EXPECT_EQ(render(create({.inputPath = "$.detail.state"})), "\"RUNNING\"");
}

TEST(TargetInputTest, InputPathDollarIsTheWholeEvent) {
  EXPECT_EQ(parse(render(create({.inputPath = "$"}))), parse(kEc2Event));
}

TEST(TargetInputTest, InputPathSelectsArrayElementsByIndex) {
  EXPECT_EQ(render(create({.inputPath = "$.resources[0]"})),
            "\"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111\"");
  EXPECT_EQ(render(create({.inputPath = "$.detail.items[1].id"}), kItemsEvent), "2");
}

TEST(TargetInputTest, InputPathSelectsScalarsOfEveryType) {
  EXPECT_EQ(render(create({.inputPath = "$.detail.count"}), kItemsEvent), "42");
  EXPECT_EQ(render(create({.inputPath = "$.detail.flag"}), kItemsEvent), "true");
  EXPECT_EQ(render(create({.inputPath = "$.detail.nothing"}), kItemsEvent), "null");
}

TEST(TargetInputTest, InputPathAcceptsBracketQuotedNames) {
  EXPECT_EQ(render(create({.inputPath = "$['detail']['instance-id']"})), "\"i-0123456789\"");
  EXPECT_EQ(render(create({.inputPath = "$.detail[\"state\"]"})), "\"RUNNING\"");
}

TEST(TargetInputTest, InputPathNamesMayHoldDashesUnderscoresAndSlashes) {
  std::string_view event = R"({"detail":{"a-b":{"c_d":{"e/f":"deep"}}}})";
  EXPECT_EQ(render(create({.inputPath = "$.detail.a-b.c_d.e/f"}), event), "\"deep\"");
}

TEST(TargetInputTest, ArrayWildcardCollectsWhatEachElementHas) {
  EXPECT_EQ(render(create({.inputPath = "$.detail.items[*].id"}), kItemsEvent), "[1,2]");
  EXPECT_EQ(render(create({.inputPath = "$.detail.items[*].sku"}), kItemsEvent),
            R"(["a-1","c-3"])");
}

TEST(TargetInputTest, DotWildcardCollectsObjectMemberValues) {
  EXPECT_EQ(render(create({.inputPath = "$.detail.customer.*"}), kItemsEvent), R"(["Ann","gold"])");
  EXPECT_EQ(render(create({.inputPath = "$.detail.items.*.id"}), kItemsEvent), "[1,2]");
}

TEST(TargetInputTest, WildcardThatReachesNothingYieldsAnEmptyArray) {
  EXPECT_EQ(render(create({.inputPath = "$.detail.empty[*]"}), kItemsEvent), "[]");
  EXPECT_EQ(render(create({.inputPath = "$.detail.missing[*].id"}), kItemsEvent), "[]");
  EXPECT_EQ(render(create({.inputPath = "$.detail.count[*]"}), kItemsEvent), "[]");
}

TEST(TargetInputTest, InputPathThatMatchesNothingDeliversAnEmptyObject) {
  EXPECT_EQ(render(create({.inputPath = "$.detail.missing"})), "{}");
  EXPECT_EQ(render(create({.inputPath = "$.resources[5]"})), "{}");
  EXPECT_EQ(render(create({.inputPath = "$.detail.state.deeper"})), "{}");
  EXPECT_EQ(render(create({.inputPath = "$.detail[0]"})), "{}");
  EXPECT_EQ(render(create({.inputPath = "$.resources.name"})), "{}");
}

TEST(TargetInputTest, InputPathMustBeAPathOfTheSupportedSubset) {
  for (const char* path : {"", "detail", "$.", "$..detail", "$.de tail", "$[", "$[x]", "$['a'",
                           "$['']", "$[-1]", "$.a[0", "$.a*", "$ ", "$.a.[0]", "$.a\\b"}) {
    core::Error error = rejectedPath(path);
    EXPECT_THAT(error.message(), StartsWith("InputPath " + std::string(path) +
                                            " for target t1 is not a valid JSON path: "))
        << path;
    EXPECT_EQ(error.field(), "InputPath") << path;
  }
}

TEST(TargetInputTest, InvalidPathMessagesSayWhatIsWrong) {
  EXPECT_EQ(rejectedPath("detail").message(),
            "InputPath detail for target t1 is not a valid JSON path: it must start with $.");
  EXPECT_THAT(rejectedPath("$.a b").message(), HasSubstr("unexpected ' ' at character 4"));
  EXPECT_THAT(rejectedPath("$.a[0").message(), HasSubstr("the '[' at character 4 is not closed"));
  EXPECT_THAT(rejectedPath("$.").message(), HasSubstr("it ends with '.'"));
}

TEST(TargetInputTest, InputPathAcceptsAtMost256Characters) {
  create({.inputPath = "$." + std::string(254, 'a')});
  core::Error error = rejectedPath("$." + std::string(255, 'a'));
  EXPECT_EQ(error.message(),
            "Value at 'InputPath' failed to satisfy constraint: Member must have length less than "
            "or equal to 256");
  EXPECT_EQ(error.field(), "InputPath");
}

// ---- InputTransformer: the user guide's EC2 examples ----

TEST(TargetInputTest, SimpleStringTemplateProducesAString) {
  TargetInput input = transformer(kEc2Paths, R"("instance <instance> is in <state>")");
  EXPECT_EQ(input.kind(), TargetInput::Kind::kTransformer);
  EXPECT_EQ(render(input), R"("instance i-0123456789 is in RUNNING")");
}

TEST(TargetInputTest, StringTemplateKeepsEscapedQuotesAsWritten) {
  EXPECT_EQ(renderTemplate(kEc2Paths, R"("instance \"<instance>\" is in <state>")"),
            R"("instance \"i-0123456789\" is in RUNNING")");
}

TEST(TargetInputTest, SimpleJsonTemplateQuotesBareStringValues) {
  EXPECT_EQ(renderTemplate(kEc2Paths, "{\n  \"instance\" : <instance>,\n  \"state\": <state>\n}"),
            "{\n  \"instance\" : \"i-0123456789\",\n  \"state\": \"RUNNING\"\n}");
}

TEST(TargetInputTest, JsonTemplateInsertsRawValuesInsideStrings) {
  std::string out =
      renderTemplate(kEc2Paths, R"({"instance" : <instance>, "state": "<state>", )"
                                R"("instanceStatus": "instance \"<instance>\" is in <state>"})");
  EXPECT_EQ(out, R"({"instance" : "i-0123456789", "state": "RUNNING", )"
                 R"("instanceStatus": "instance \"i-0123456789\" is in RUNNING"})");
  EXPECT_EQ(parse(out).at("instanceStatus"), "instance \"i-0123456789\" is in RUNNING");
}

TEST(TargetInputTest, JsonTemplateMixesVariablesAndStaticValues) {
  EXPECT_EQ(renderTemplate(kEc2Paths, R"({"instance" : <instance>, "state": [ 9, <state>, true ], )"
                                      R"("Transformed" : "Yes"})"),
            R"({"instance" : "i-0123456789", "state": [ 9, "RUNNING", true ], )"
            R"("Transformed" : "Yes"})");
}

TEST(TargetInputTest, JsonTemplateIncludesReservedVariables) {
  std::string out = renderTemplate(kEc2Paths, R"({"instance" : <instance>, "state": <state>, )"
                                              R"("ruleArn" : <aws.events.rule-arn>, )"
                                              R"("ruleName" : <aws.events.rule-name>, )"
                                              R"("originalEvent" : <aws.events.event>})");
  json::value v = parse(out);
  EXPECT_EQ(v.at("ruleArn"), "arn:aws:events:us-east-2:123456789012:rule/example");
  EXPECT_EQ(v.at("ruleName"), "example");
  EXPECT_EQ(v.at("instance"), "i-0123456789");
  EXPECT_TRUE(v.at("originalEvent").is_object());
}

TEST(TargetInputTest, ReservedVariableInsideAStringTemplate) {
  EXPECT_EQ(renderTemplate({}, R"("<aws.events.rule-name> triggered")"), R"("example triggered")");
}

TEST(TargetInputTest, CloudWatchLogsTemplateQuotesTheTimestamp) {
  // The guide prints the timestamp unquoted; AWS's recorded output quotes bare strings.
  EXPECT_EQ(renderTemplate(kEc2Paths, R"({"timestamp" : <timestamp>, )"
                                      R"("message": "instance \"<instance>\" is in <state>"})"),
            R"({"timestamp" : "2015-11-11T21:29:54Z", )"
            R"("message": "instance \"i-0123456789\" is in RUNNING"})");
}

TEST(TargetInputTest, PlainTextTemplateInsertsRawValues) {
  EXPECT_EQ(renderTemplate(kEc2Paths, "<instance> is in state <state>"),
            "i-0123456789 is in state RUNNING");
}

// ---- reserved variables ----

TEST(TargetInputTest, RuleArnAndNameAreStrings) {
  EXPECT_EQ(
      renderTemplate({}, R"({"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>"})"),
      R"({"arn": "arn:aws:events:us-east-2:123456789012:rule/example", "name": "example"})");
}

TEST(TargetInputTest, IngestionTimeIsTheRuleContextsTimestamp) {
  EXPECT_EQ(renderTemplate({}, R"({"at": <aws.events.event.ingestion-time>})"),
            R"({"at": "2015-11-11T21:29:55Z"})");
  EXPECT_EQ(renderTemplate({}, R"("received <aws.events.event.ingestion-time>")"),
            R"("received 2015-11-11T21:29:55Z")");
}

TEST(TargetInputTest, EventVariableIsTheEventWithoutDetail) {
  json::value v = parse(renderTemplate({}, R"({"e": <aws.events.event>})"));
  json::value expected = parse(kEc2Event);
  json::object& o = expected.as_object();
  o.erase("detail");
  json::value detailType = o.at("detail-type");
  o.erase("detail-type");
  o["detailType"] = detailType;
  EXPECT_EQ(v.at("e"), expected);
}

TEST(TargetInputTest, EventJsonVariableIsTheWholeEvent) {
  json::value v = parse(renderTemplate({}, R"({"e": <aws.events.event.json>, "n": 1})"));
  EXPECT_EQ(v.at("e"), parse(kEc2Event));
  EXPECT_EQ(parse(renderTemplate({}, "<aws.events.event.json>")), parse(kEc2Event));
}

TEST(TargetInputTest, ReservedVariablesNeedNoInputPathsMap) {
  TargetInput input = transformer({}, R"(["<aws.events.rule-arn>", <aws.events.rule-name>])");
  EXPECT_EQ(render(input), R"(["arn:aws:events:us-east-2:123456789012:rule/example", "example"])");
}

TEST(TargetInputTest, EventJsonCannotStandInsideAString) {
  core::Error error = rejectedTransformer({}, R"({"e": "<aws.events.event.json>"})");
  EXPECT_EQ(error.message(),
            "InputTemplate for target t1 uses placeholder aws.events.event.json inside a string; "
            "it can only be used as a JSON value.");
  EXPECT_EQ(error.field(), "InputTransformer.InputTemplate");
  EXPECT_EQ(rejectedTransformer({}, R"("event: <aws.events.event.json>")").field(),
            "InputTransformer.InputTemplate");
}

TEST(TargetInputTest, EventCannotStandInsideAString) {
  EXPECT_THAT(rejectedTransformer({}, R"({"e": "x <aws.events.event>"})").message(),
              HasSubstr("uses placeholder aws.events.event inside a string"));
}

// ---- values of every type ----

TEST(TargetInputTest, BareValuesAreInsertedAsTheirJson) {
  std::map<std::string, std::string> paths = {{"count", "$.detail.count"},
                                              {"flag", "$.detail.flag"},
                                              {"nothing", "$.detail.nothing"},
                                              {"customer", "$.detail.customer"},
                                              {"quote", "$.detail.quote"}};
  std::string out = renderTemplate(
      paths, R"({"c": <count>, "f": <flag>, "n": <nothing>, "o": <customer>, "q": <quote>})",
      kItemsEvent);
  EXPECT_EQ(out, R"({"c": 42, "f": true, "n": null, "o": {"name":"Ann","tier":"gold"}, )"
                 R"("q": "say \"hi\""})");
}

TEST(TargetInputTest, NonStringValuesInsideStringsAreTheirJsonText) {
  std::map<std::string, std::string> paths = {
      {"count", "$.detail.count"}, {"flag", "$.detail.flag"}, {"customer", "$.detail.customer"}};
  EXPECT_EQ(
      renderTemplate(paths, R"("<count> items, flag <flag>, customer <customer>")", kItemsEvent),
      R"("42 items, flag true, customer {"name":"Ann","tier":"gold"}")");
}

TEST(TargetInputTest, RawStringValuesAreNotEscapedEvenWhenThatBreaksJson) {
  std::string out =
      renderTemplate({{"quote", "$.detail.quote"}}, R"({"q": "<quote>"})", kItemsEvent);
  EXPECT_EQ(out, R"({"q": "say "hi""})");
  EXPECT_FALSE(core::parseJson(out, "output").ok());
}

TEST(TargetInputTest, WildcardVariableIsAnArray) {
  EXPECT_EQ(renderTemplate({{"ids", "$.detail.items[*].id"}}, R"({"ids": <ids>})", kItemsEvent),
            R"({"ids": [1,2]})");
  EXPECT_EQ(renderTemplate({{"ids", "$.detail.items[*].id"}}, R"("ids <ids>")", kItemsEvent),
            R"("ids [1,2]")");
}

TEST(TargetInputTest, APlaceholderMayBeUsedManyTimes) {
  EXPECT_EQ(renderTemplate(kEc2Paths, R"("<state>/<state>/<instance>")"),
            R"("RUNNING/RUNNING/i-0123456789")");
}

// ---- paths that match nothing ----

TEST(TargetInputTest, MissingValueInsideAStringIsEmpty) {
  std::map<std::string, std::string> paths = {{"detail-type", "$.detail-type"},
                                              {"command", "$.detail.notinmessage"}};
  EXPECT_EQ(renderTemplate(paths, R"("Event of <detail-type> type, info <command>")"),
            R"("Event of EC2 Instance State-change Notification type, info ")");
}

TEST(TargetInputTest, MissingBareValueIsAnEmptyString) {
  std::map<std::string, std::string> paths = {{"detail-type", "$.detail-type"},
                                              {"command", "$.detail.notinmessage"}};
  EXPECT_EQ(renderTemplate(paths, R"({"detailType": <detail-type>, "command": <command>})"),
            R"({"detailType": "EC2 Instance State-change Notification", "command": ""})");
}

TEST(TargetInputTest, MissingValueInATextTemplateIsEmpty) {
  EXPECT_EQ(renderTemplate({{"x", "$.nope"}}, "value=<x>;"), "value=;");
}

// ---- literal angle brackets ----

TEST(TargetInputTest, AngleBracketsThatAreNotPlaceholdersStayLiteral) {
  EXPECT_EQ(renderTemplate(kEc2Paths, R"("a < b, <not a placeholder>, <>, <state>")"),
            R"("a < b, <not a placeholder>, <>, RUNNING")");
}

// ---- template validation ----

TEST(TargetInputTest, UndefinedPlaceholderIsRejectedWithAwsMessage) {
  core::Error error =
      rejectedTransformer({{"detail-type", "$.detail-type"}},
                          R"("Event of <detail-type> type, with not defined key <notdefinedkey>")");
  EXPECT_EQ(error.message(),
            "InputTemplate for target t1 contains invalid placeholder notdefinedkey.");
  EXPECT_EQ(error.field(), "InputTransformer.InputTemplate");
}

TEST(TargetInputTest, ReservedLookalikesAreNotReserved) {
  EXPECT_THAT(rejectedTransformer({}, R"("<aws.events.rule>")").message(),
              HasSubstr("invalid placeholder aws.events.rule."));
}

TEST(TargetInputTest, PlaceholderCannotBeABareObjectKey) {
  core::Error error = rejectedTransformer(kEc2Paths, R"({<instance>: "x"})");
  EXPECT_EQ(error.message(),
            "InputTemplate for target t1 uses placeholder instance as an object key; a placeholder "
            "can only stand for a value.");
  EXPECT_EQ(error.field(), "InputTransformer.InputTemplate");
  EXPECT_THAT(rejectedTransformer(kEc2Paths, R"({"a": 1, <state>: 2})").message(),
              HasSubstr("as an object key"));
}

TEST(TargetInputTest, PlaceholderCannotBeInsideAnObjectKey) {
  EXPECT_THAT(rejectedTransformer(kEc2Paths, R"({"id-<instance>": "x"})").message(),
              HasSubstr("uses placeholder instance as an object key"));
  EXPECT_THAT(rejectedTransformer(kEc2Paths, R"({"a": {"b": 1, "<state>": 2}})").message(),
              HasSubstr("as an object key"));
}

TEST(TargetInputTest, PlaceholdersInArraysAndNestedValuesAreNotKeys) {
  EXPECT_EQ(renderTemplate(kEc2Paths, R"({"a": {"b": [<state>, {"c": "<instance>"}]}})"),
            R"({"a": {"b": ["RUNNING", {"c": "i-0123456789"}]}})");
}

TEST(TargetInputTest, JsonTemplateMustBeJson) {
  core::Error error = rejectedTransformer(kEc2Paths, R"({"instance": <instance>)");
  EXPECT_THAT(error.message(), StartsWith("InputTemplate for target t1 is not valid JSON: "));
  EXPECT_EQ(error.field(), "InputTransformer.InputTemplate");
  EXPECT_EQ(rejectedTransformer(kEc2Paths, R"({"a": <state> <instance>})").field(),
            "InputTransformer.InputTemplate");
  EXPECT_EQ(rejectedTransformer(kEc2Paths, R"(  [<state>,])").field(),
            "InputTransformer.InputTemplate");
}

TEST(TargetInputTest, TextTemplatesAreNotCheckedAsJson) {
  EXPECT_EQ(renderTemplate(kEc2Paths, R"("unbalanced" "<state>)"), R"("unbalanced" "RUNNING)");
}

TEST(TargetInputTest, TemplateMustHoldBetween1And8192Characters) {
  core::Error empty = rejectedTransformer({}, "");
  EXPECT_EQ(empty.message(),
            "Value at 'InputTransformer.InputTemplate' failed to satisfy constraint: Member must "
            "have length greater than or equal to 1");
  EXPECT_EQ(empty.field(), "InputTransformer.InputTemplate");
  transformer({}, "\"" + std::string(8190, 'a') + "\"");
  core::Error tooLong = rejectedTransformer({}, "\"" + std::string(8191, 'a') + "\"");
  EXPECT_EQ(tooLong.message(),
            "Value at 'InputTransformer.InputTemplate' failed to satisfy constraint: Member must "
            "have length less than or equal to 8192");
}

// ---- InputPathsMap validation ----

TEST(TargetInputTest, PathsMapHoldsAtMost100Entries) {
  std::map<std::string, std::string> paths;
  for (int i = 0; i < 100; ++i) {
    paths["k" + std::to_string(i)] = "$.detail";
  }
  transformer(paths, "\"constant\"");
  paths["k100"] = "$.detail";
  core::Error error = rejectedTransformer(paths, "\"constant\"");
  EXPECT_EQ(error.message(),
            "Value at 'InputTransformer.InputPathsMap' failed to satisfy constraint: Member must "
            "have length less than or equal to 100");
  EXPECT_EQ(error.field(), "InputTransformer.InputPathsMap");
}

TEST(TargetInputTest, PathsMapKeysMatchTheModelPattern) {
  for (const char* key : {"a.b", "a b", "aws.events.rule-arn", "é", "a/b"}) {
    core::Error error = rejectedTransformer({{key, "$.detail"}}, "\"x\"");
    EXPECT_EQ(error.message(),
              "Value at 'InputTransformer.InputPathsMap' failed to satisfy constraint: Map keys "
              "must satisfy constraint: [Member must satisfy regular expression pattern: "
              "[A-Za-z0-9\\_\\-]+]")
        << key;
    EXPECT_EQ(error.field(), "InputTransformer.InputPathsMap");
  }
}

TEST(TargetInputTest, PathsMapKeysHoldBetween1And256Characters) {
  EXPECT_THAT(rejectedTransformer({{"", "$.detail"}}, "\"x\"").message(),
              HasSubstr("Map keys must satisfy constraint: [Member must have length greater than "
                        "or equal to 1]"));
  transformer({{std::string(256, 'k'), "$.detail"}}, "\"x\"");
  EXPECT_THAT(rejectedTransformer({{std::string(257, 'k'), "$.detail"}}, "\"x\"").message(),
              HasSubstr("Map keys must satisfy constraint: [Member must have length less than or "
                        "equal to 256]"));
}

TEST(TargetInputTest, PathsMapKeysCannotStartWithAWS) {
  core::Error error = rejectedTransformer({{"AWSRegion", "$.region"}}, "\"<AWSRegion>\"");
  EXPECT_EQ(error.message(),
            "InputPathsMap key AWSRegion for target t1 is not allowed: keys cannot start with "
            "\"AWS\".");
  EXPECT_EQ(error.field(), "InputTransformer.InputPathsMap");
  // The model states the prefix in capitals; other cases are ordinary names.
  EXPECT_EQ(renderTemplate({{"awsRegion", "$.region"}}, "\"<awsRegion>\""), "\"us-east-1\"");
}

TEST(TargetInputTest, PathsMapValuesHoldAtMost256Characters) {
  transformer({{"k", "$." + std::string(254, 'a')}}, "\"x\"");
  core::Error error = rejectedTransformer({{"k", "$." + std::string(255, 'a')}}, "\"x\"");
  EXPECT_EQ(error.message(),
            "Value at 'InputTransformer.InputPathsMap' failed to satisfy constraint: Map value "
            "must satisfy constraint: [Member must have length less than or equal to 256]");
  EXPECT_EQ(error.field(), "InputTransformer.InputPathsMap");
}

TEST(TargetInputTest, PathsMapValuesMustBeValidPaths) {
  core::Error error = rejectedTransformer({{"state", "detail.state"}}, "\"<state>\"");
  EXPECT_EQ(error.message(),
            "InputPathsMap value detail.state for key state of target t1 is not a valid JSON "
            "path: it must start with $.");
  EXPECT_EQ(error.field(), "InputTransformer.InputPathsMap");
}

TEST(TargetInputTest, UnusedPathsMapEntriesAreStillValidated) {
  EXPECT_EQ(rejectedTransformer({{"unused", "$..x"}}, "\"constant\"").field(),
            "InputTransformer.InputPathsMap");
}

// ---- output size and the value itself ----

TEST(TargetInputTest, TransformedOutputIsCappedAt1MiB) {
  std::string event =
      R"({"detail":{"blob":")" + std::string(std::size_t{100} * 1024, 'x') + R"("}})";
  std::string templateText = "[<aws.events.event.json>";
  for (int i = 0; i < 10; ++i) {
    templateText += ",<aws.events.event.json>";
  }
  templateText += "]";
  auto out = renderTargetInput(transformer({}, templateText), parse(event), kRule);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message(), "The transformed input is larger than 1048576 bytes.");
  EXPECT_EQ(out.error().field(), "InputTransformer.InputTemplate");
}

TEST(TargetInputTest, FieldsAreKeptForListingTheTarget) {
  TargetInput input = transformer(kEc2Paths, R"("<state>")");
  ASSERT_TRUE(input.fields().inputTransformer.has_value());
  EXPECT_EQ(input.fields().inputTransformer->pathsMap, kEc2Paths);
  EXPECT_EQ(input.fields().inputTransformer->templateText, R"("<state>")");
  EXPECT_FALSE(input.fields().input.has_value());
  EXPECT_EQ(create({.inputPath = "$.detail"}).fields().inputPath, "$.detail");
}

TEST(TargetInputTest, CopiesRenderAlike) {
  TargetInput original = transformer(kEc2Paths, R"({"s": <state>})");
  TargetInput copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(render(copy), render(original));
}

}  // namespace
}  // namespace bakery::bus
