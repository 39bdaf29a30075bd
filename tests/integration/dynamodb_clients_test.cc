// `bakery serve`'s DynamoDB endpoint driven by the clients people actually use: the AWS CLI
// (Debian's awscli), boto3 (Debian's python3-boto3) and the AWS SDK for JavaScript v3. Each
// test starts a real server on 127.0.0.1 (port 0, fresh data directory) and runs the client
// as a child process with an explicit, minimal environment (credentials test / test, region
// us-east-1, no config files), so nothing from the machine's own AWS setup leaks in.
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace bakery::testing {
namespace {

namespace json = boost::json;

// Paths compiled in by tests/integration/CMakeLists.txt.
constexpr const char* kBakery = BAKERY_BIN_PATH;
constexpr const char* kAwsCli = BAKERY_AWS_CLI_PATH;
constexpr const char* kPython = BAKERY_PYTHON3_PATH;
constexpr const char* kNode = BAKERY_NODE_PATH;
constexpr const char* kBoto3Script = BAKERY_DYNAMODB_BOTO3_SCRIPT;
constexpr const char* kSdkJsScript = BAKERY_DYNAMODB_SDK_JS_SCRIPT;
constexpr const char* kNodeModules = BAKERY_NODE_MODULES_DIR;

struct AccessKey {
  std::string id = "test";
  std::string secret = "test";
};

// `env -i` with only what the clients need: the machine's own AWS configuration, pyenv
// shims and proxies stay out.
std::vector<std::string> cleanEnvironment(const std::string& home, const AccessKey& key) {
  return {"/usr/bin/env",
          "-i",
          "PATH=/usr/bin:/bin",
          "HOME=" + home,
          "AWS_ACCESS_KEY_ID=" + key.id,
          "AWS_SECRET_ACCESS_KEY=" + key.secret,
          "AWS_DEFAULT_REGION=us-east-1",
          "AWS_REGION=us-east-1",
          "AWS_PAGER=",
          "AWS_CONFIG_FILE=/dev/null",
          "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
          "AWS_EC2_METADATA_DISABLED=true"};
}

// The DynamoDB endpoint alone: without the auth capability, whose declared tables would
// otherwise appear in ListTables beside the scenario's own.
constexpr const char* kTablesOnly = R"({"auth": {"enabled": false}})";

std::string awsEndpoint(const ServerProcess& server) {
  return "http://127.0.0.1:" + std::to_string(server.awsPort());
}

// One AWS CLI run: its exit code, its JSON output (null when there was none), and for a
// failed call the DynamoDB error name the CLI prints ("An error occurred (Name) when ...").
struct CliOutcome {
  int exitCode = -1;
  json::value out;
  std::string errorCode;
  std::string err;
};

class AwsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kAwsCli))
        << kAwsCli << " is missing: install Debian's awscli (scripts/install-deps.sh)";
  }

  CliOutcome aws(std::vector<std::string> args, const AccessKey& key = {}) {
    std::vector<std::string> command = cleanEnvironment(home_.path(), key);
    command.push_back(kAwsCli);
    command.insert(command.end(), {"--endpoint-url", awsEndpoint(server_), "--output", "json"});
    command.insert(command.end(), args.begin(), args.end());
    CommandResult r = runCommand(command);
    CliOutcome outcome{.exitCode = r.exitCode, .err = r.err};
    if (r.exitCode == 0 && r.out.find_first_not_of(" \n") != std::string::npos) {
      outcome.out = json::parse(r.out);
    }
    const std::string marker = "An error occurred (";
    if (auto at = r.err.find(marker); at != std::string::npos) {
      auto start = at + marker.size();
      outcome.errorCode = r.err.substr(start, r.err.find(')', start) - start);
    }
    return outcome;
  }

  // Orders: pk (S) / sk (S), with the GSI byStatus on status (S) / sk (S), projecting all.
  void createOrdersTable() {
    auto created =
        aws({"dynamodb", "create-table", "--table-name", "Orders", "--attribute-definitions",
             "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=S",
             "AttributeName=status,AttributeType=S", "--key-schema",
             "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE", "--billing-mode",
             "PAY_PER_REQUEST", "--global-secondary-indexes",
             R"([{"IndexName":"byStatus","KeySchema":[)"
             R"({"AttributeName":"status","KeyType":"HASH"},)"
             R"({"AttributeName":"sk","KeyType":"RANGE"}],)"
             R"("Projection":{"ProjectionType":"ALL"}}])"});
    ASSERT_EQ(created.exitCode, 0) << created.err;
    auto waited = aws({"dynamodb", "wait", "table-exists", "--table-name", "Orders"});
    ASSERT_EQ(waited.exitCode, 0) << waited.err;
  }

  void putOrder(const std::string& itemJson) {
    auto r = aws({"dynamodb", "put-item", "--table-name", "Orders", "--item", itemJson});
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }

  ServerProcess server_{kBakery, kTablesOnly};
  TempDir home_;
};

json::value parse(std::string_view text) { return json::parse(text); }

// The "S" values of attribute `name` of every item in `items`, in order.
std::vector<std::string> strings(const json::value& items, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& item : items.as_array()) {
    out.emplace_back(item.at(name).at("S").as_string());
  }
  return out;
}

TEST_F(AwsCliTest, CreateTableWithAnIndexIsActiveAndDescribedWithTheIndex) {
  ASSERT_NO_FATAL_FAILURE(createOrdersTable());
  auto described = aws({"dynamodb", "describe-table", "--table-name", "Orders"});
  ASSERT_EQ(described.exitCode, 0) << described.err;
  const auto& table = described.out.at("Table");
  EXPECT_EQ(table.at("TableName"), "Orders");
  EXPECT_EQ(table.at("TableStatus"), "ACTIVE");
  EXPECT_EQ(table.at("KeySchema"), parse(R"([{"AttributeName":"pk","KeyType":"HASH"},
                                             {"AttributeName":"sk","KeyType":"RANGE"}])"));
  ASSERT_EQ(table.at("GlobalSecondaryIndexes").as_array().size(), 1u);
  const auto& index = table.at("GlobalSecondaryIndexes").at(0);
  EXPECT_EQ(index.at("IndexName"), "byStatus");
  EXPECT_EQ(index.at("IndexStatus"), "ACTIVE");
  EXPECT_EQ(index.at("Projection").at("ProjectionType"), "ALL");

  auto listed = aws({"dynamodb", "list-tables"});
  ASSERT_EQ(listed.exitCode, 0) << listed.err;
  EXPECT_EQ(listed.out.at("TableNames"), parse(R"(["Orders"])"));
}

TEST_F(AwsCliTest, ConditionalPutWritesOnceAndGetItemReadsItBack) {
  ASSERT_NO_FATAL_FAILURE(createOrdersTable());
  const std::string item =
      R"({"pk":{"S":"c1"},"sk":{"S":"o1"},"status":{"S":"open"},"total":{"N":"10"}})";
  auto first = aws({"dynamodb", "put-item", "--table-name", "Orders", "--item", item,
                    "--condition-expression", "attribute_not_exists(pk)"});
  ASSERT_EQ(first.exitCode, 0) << first.err;

  auto second = aws({"dynamodb", "put-item", "--table-name", "Orders", "--item",
                     R"({"pk":{"S":"c1"},"sk":{"S":"o1"},"status":{"S":"lost"}})",
                     "--condition-expression", "attribute_not_exists(pk)"});
  EXPECT_NE(second.exitCode, 0);
  EXPECT_EQ(second.errorCode, "ConditionalCheckFailedException") << second.err;

  auto got = aws({"dynamodb", "get-item", "--table-name", "Orders", "--key",
                  R"({"pk":{"S":"c1"},"sk":{"S":"o1"}})", "--consistent-read"});
  ASSERT_EQ(got.exitCode, 0) << got.err;
  EXPECT_EQ(got.out.at("Item"), parse(item));

  auto projected = aws({"dynamodb", "get-item", "--table-name", "Orders", "--key",
                        R"({"pk":{"S":"c1"},"sk":{"S":"o1"}})", "--projection-expression", "#t",
                        "--expression-attribute-names", R"({"#t":"total"})"});
  ASSERT_EQ(projected.exitCode, 0) << projected.err;
  EXPECT_EQ(projected.out.at("Item"), parse(R"({"total":{"N":"10"}})"));
}

TEST_F(AwsCliTest, UpdateItemAppliesTheExpressionAndReturnsWhatWasAskedFor) {
  ASSERT_NO_FATAL_FAILURE(createOrdersTable());
  ASSERT_NO_FATAL_FAILURE(
      putOrder(R"({"pk":{"S":"c1"},"sk":{"S":"o1"},"status":{"S":"open"},"total":{"N":"10"}})"));
  const std::string key = R"({"pk":{"S":"c1"},"sk":{"S":"o1"}})";

  auto allNew = aws({"dynamodb", "update-item", "--table-name", "Orders", "--key", key,
                     "--update-expression", "SET #t = #t + :d, #s = :s, tags = :tags",
                     "--condition-expression", "#s = :open", "--expression-attribute-names",
                     R"({"#t":"total","#s":"status"})", "--expression-attribute-values",
                     R"({":d":{"N":"5"},":s":{"S":"paid"},":open":{"S":"open"},)"
                     R"(":tags":{"SS":["gift"]}})",
                     "--return-values", "ALL_NEW"});
  ASSERT_EQ(allNew.exitCode, 0) << allNew.err;
  EXPECT_EQ(allNew.out.at("Attributes"),
            parse(R"({"pk":{"S":"c1"},"sk":{"S":"o1"},"status":{"S":"paid"},)"
                  R"("total":{"N":"15"},"tags":{"SS":["gift"]}})"));

  auto updatedOld =
      aws({"dynamodb", "update-item", "--table-name", "Orders", "--key", key, "--update-expression",
           "ADD tags :more REMOVE #t", "--expression-attribute-names", R"({"#t":"total"})",
           "--expression-attribute-values", R"({":more":{"SS":["rush"]}})", "--return-values",
           "UPDATED_OLD"});
  ASSERT_EQ(updatedOld.exitCode, 0) << updatedOld.err;
  EXPECT_EQ(updatedOld.out.at("Attributes"),
            parse(R"({"total":{"N":"15"},"tags":{"SS":["gift"]}})"));

  auto failed = aws({"dynamodb", "update-item", "--table-name", "Orders", "--key", key,
                     "--update-expression", "SET #s = :s", "--condition-expression", "#s = :open",
                     "--expression-attribute-names", R"({"#s":"status"})",
                     "--expression-attribute-values", R"({":s":{"S":"x"},":open":{"S":"open"}})"});
  EXPECT_EQ(failed.errorCode, "ConditionalCheckFailedException") << failed.err;

  auto got = aws({"dynamodb", "get-item", "--table-name", "Orders", "--key", key});
  ASSERT_EQ(got.exitCode, 0) << got.err;
  const auto& stored = got.out.at("Item").as_object();
  EXPECT_EQ(stored.at("status"), parse(R"({"S":"paid"})"));
  EXPECT_FALSE(stored.contains("total"));
  std::set<std::string> tags;
  for (const auto& t : stored.at("tags").at("SS").as_array()) tags.emplace(t.as_string());
  EXPECT_EQ(tags, (std::set<std::string>{"gift", "rush"}));
}

TEST_F(AwsCliTest, QueryReadsTheTableAndTheIndexInSortKeyOrder) {
  ASSERT_NO_FATAL_FAILURE(createOrdersTable());
  ASSERT_NO_FATAL_FAILURE(putOrder(R"({"pk":{"S":"c1"},"sk":{"S":"o2"},"status":{"S":"open"}})"));
  ASSERT_NO_FATAL_FAILURE(putOrder(R"({"pk":{"S":"c1"},"sk":{"S":"o1"},"status":{"S":"paid"}})"));
  ASSERT_NO_FATAL_FAILURE(putOrder(R"({"pk":{"S":"c1"},"sk":{"S":"o3"},"status":{"S":"open"}})"));
  ASSERT_NO_FATAL_FAILURE(putOrder(R"({"pk":{"S":"c2"},"sk":{"S":"o0"},"status":{"S":"open"}})"));
  ASSERT_NO_FATAL_FAILURE(putOrder(R"({"pk":{"S":"c2"},"sk":{"S":"o9"}})"));

  auto forward = aws({"dynamodb", "query", "--table-name", "Orders", "--key-condition-expression",
                      "pk = :p AND begins_with(sk, :o)", "--expression-attribute-values",
                      R"({":p":{"S":"c1"},":o":{"S":"o"}})"});
  ASSERT_EQ(forward.exitCode, 0) << forward.err;
  EXPECT_EQ(strings(forward.out.at("Items"), "sk"), (std::vector<std::string>{"o1", "o2", "o3"}));
  EXPECT_EQ(forward.out.at("Count"), 3);

  auto backward = aws({"dynamodb", "query", "--table-name", "Orders", "--key-condition-expression",
                       "pk = :p AND sk > :o", "--expression-attribute-values",
                       R"({":p":{"S":"c1"},":o":{"S":"o1"}})", "--no-scan-index-forward"});
  ASSERT_EQ(backward.exitCode, 0) << backward.err;
  EXPECT_EQ(strings(backward.out.at("Items"), "sk"), (std::vector<std::string>{"o3", "o2"}));

  // The index holds only the items that have a status (o9 has none).
  auto index =
      aws({"dynamodb", "query", "--table-name", "Orders", "--index-name", "byStatus",
           "--key-condition-expression", "#s = :s", "--expression-attribute-names",
           R"({"#s":"status"})", "--expression-attribute-values", R"({":s":{"S":"open"}})"});
  ASSERT_EQ(index.exitCode, 0) << index.err;
  EXPECT_EQ(strings(index.out.at("Items"), "sk"), (std::vector<std::string>{"o0", "o2", "o3"}));
  EXPECT_EQ(strings(index.out.at("Items"), "pk"), (std::vector<std::string>{"c2", "c1", "c1"}));

  auto filtered =
      aws({"dynamodb", "query", "--table-name", "Orders", "--key-condition-expression", "pk = :p",
           "--filter-expression", "attribute_not_exists(#s)", "--expression-attribute-names",
           R"({"#s":"status"})", "--expression-attribute-values", R"({":p":{"S":"c2"}})"});
  ASSERT_EQ(filtered.exitCode, 0) << filtered.err;
  EXPECT_EQ(strings(filtered.out.at("Items"), "sk"), (std::vector<std::string>{"o9"}));
  EXPECT_EQ(filtered.out.at("ScannedCount"), 2);
}

TEST_F(AwsCliTest, ScanPagesWithMaxItemsAndStartingTokenVisitEveryItemExactlyOnce) {
  ASSERT_NO_FATAL_FAILURE(createOrdersTable());
  std::set<std::string> expected;
  json::array puts;
  for (int i = 0; i < 7; ++i) {
    std::string sk = "o" + std::to_string(i);
    expected.insert(sk);
    puts.push_back(parse(R"({"PutRequest":{"Item":{"pk":{"S":"c)" + std::to_string(i % 3) +
                         R"("},"sk":{"S":")" + sk + R"("}}}})"));
  }
  auto written = aws({"dynamodb", "batch-write-item", "--request-items",
                      json::serialize(json::object{{"Orders", puts}})});
  ASSERT_EQ(written.exitCode, 0) << written.err;

  std::multiset<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    std::vector<std::string> args = {"dynamodb",    "scan", "--table-name", "Orders",
                                     "--max-items", "3",    "--page-size",  "2"};
    if (!token.empty()) args.insert(args.end(), {"--starting-token", token});
    auto page = aws(args);
    ASSERT_EQ(page.exitCode, 0) << page.err;
    for (const auto& sk : strings(page.out.at("Items"), "sk")) seen.insert(sk);
    const auto& obj = page.out.as_object();
    token = obj.contains("NextToken") ? std::string(obj.at("NextToken").as_string()) : "";
    ++pages;
    ASSERT_LE(pages, 10) << "the scan never ends";
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, std::multiset<std::string>(expected.begin(), expected.end()));
}

TEST_F(AwsCliTest, BatchWriteAndTransactWriteApplyEveryItemAndACancelledTransactionNone) {
  ASSERT_NO_FATAL_FAILURE(createOrdersTable());
  auto batch = aws({"dynamodb", "batch-write-item", "--request-items",
                    R"({"Orders":[)"
                    R"({"PutRequest":{"Item":{"pk":{"S":"b"},"sk":{"S":"1"}}}},)"
                    R"({"PutRequest":{"Item":{"pk":{"S":"b"},"sk":{"S":"2"}}}},)"
                    R"({"PutRequest":{"Item":{"pk":{"S":"b"},"sk":{"S":"3"}}}}]})"});
  ASSERT_EQ(batch.exitCode, 0) << batch.err;
  EXPECT_EQ(batch.out.at("UnprocessedItems"), json::object{});

  auto deleted = aws({"dynamodb", "batch-write-item", "--request-items",
                      R"({"Orders":[{"DeleteRequest":{"Key":{"pk":{"S":"b"},"sk":{"S":"3"}}}}]})"});
  ASSERT_EQ(deleted.exitCode, 0) << deleted.err;

  auto committed = aws({"dynamodb", "transact-write-items", "--transact-items", R"json([
      {"Put": {"TableName": "Orders",
               "Item": {"pk": {"S": "t"}, "sk": {"S": "1"}, "status": {"S": "open"}},
               "ConditionExpression": "attribute_not_exists(pk)"}},
      {"Update": {"TableName": "Orders", "Key": {"pk": {"S": "b"}, "sk": {"S": "1"}},
                  "UpdateExpression": "SET #s = :s",
                  "ExpressionAttributeNames": {"#s": "status"},
                  "ExpressionAttributeValues": {":s": {"S": "open"}}}},
      {"ConditionCheck": {"TableName": "Orders", "Key": {"pk": {"S": "b"}, "sk": {"S": "2"}},
                          "ConditionExpression": "attribute_exists(pk)"}}])json"});
  ASSERT_EQ(committed.exitCode, 0) << committed.err;

  // The second action's condition fails, so neither the put nor the delete happens.
  auto cancelled = aws({"dynamodb", "transact-write-items", "--transact-items", R"json([
      {"Put": {"TableName": "Orders", "Item": {"pk": {"S": "t"}, "sk": {"S": "2"}}}},
      {"Delete": {"TableName": "Orders", "Key": {"pk": {"S": "b"}, "sk": {"S": "2"}},
                  "ConditionExpression": "attribute_exists(#s)",
                  "ExpressionAttributeNames": {"#s": "status"}}}])json"});
  EXPECT_EQ(cancelled.errorCode, "TransactionCanceledException") << cancelled.err;
  EXPECT_NE(cancelled.err.find("[None, ConditionalCheckFailed]"), std::string::npos)
      << cancelled.err;

  auto scan = aws({"dynamodb", "scan", "--table-name", "Orders"});
  ASSERT_EQ(scan.exitCode, 0) << scan.err;
  std::set<std::string> keys;
  for (const auto& item : scan.out.at("Items").as_array()) {
    keys.insert(std::string(item.at("pk").at("S").as_string()) + "/" +
                std::string(item.at("sk").at("S").as_string()));
  }
  EXPECT_EQ(keys, (std::set<std::string>{"b/1", "b/2", "t/1"}));

  auto index =
      aws({"dynamodb", "query", "--table-name", "Orders", "--index-name", "byStatus",
           "--key-condition-expression", "#s = :s", "--expression-attribute-names",
           R"({"#s":"status"})", "--expression-attribute-values", R"({":s":{"S":"open"}})"});
  ASSERT_EQ(index.exitCode, 0) << index.err;
  EXPECT_EQ(strings(index.out.at("Items"), "pk"), (std::vector<std::string>{"b", "t"}));
}

TEST_F(AwsCliTest, DeleteItemReturnsTheOldItemAndRemovesItFromTableAndIndex) {
  ASSERT_NO_FATAL_FAILURE(createOrdersTable());
  const std::string item = R"({"pk":{"S":"c1"},"sk":{"S":"o1"},"status":{"S":"open"}})";
  ASSERT_NO_FATAL_FAILURE(putOrder(item));
  auto deleted = aws({"dynamodb", "delete-item", "--table-name", "Orders", "--key",
                      R"({"pk":{"S":"c1"},"sk":{"S":"o1"}})", "--return-values", "ALL_OLD"});
  ASSERT_EQ(deleted.exitCode, 0) << deleted.err;
  EXPECT_EQ(deleted.out.at("Attributes"), parse(item));

  auto got = aws({"dynamodb", "get-item", "--table-name", "Orders", "--key",
                  R"({"pk":{"S":"c1"},"sk":{"S":"o1"}})"});
  ASSERT_EQ(got.exitCode, 0) << got.err;
  // The CLI prints nothing at all for a response without an Item.
  EXPECT_TRUE(got.out.is_null() || !got.out.as_object().contains("Item"))
      << json::serialize(got.out);

  auto index = aws({"dynamodb", "scan", "--table-name", "Orders", "--index-name", "byStatus"});
  ASSERT_EQ(index.exitCode, 0) << index.err;
  EXPECT_EQ(index.out.at("Count"), 0);
}

TEST_F(AwsCliTest, TimeToLiveIsEnabledOnTheNamedAttributeAndDescribed) {
  ASSERT_NO_FATAL_FAILURE(createOrdersTable());
  auto before = aws({"dynamodb", "describe-time-to-live", "--table-name", "Orders"});
  ASSERT_EQ(before.exitCode, 0) << before.err;
  EXPECT_EQ(before.out.at("TimeToLiveDescription").at("TimeToLiveStatus"), "DISABLED");

  auto enabled = aws({"dynamodb", "update-time-to-live", "--table-name", "Orders",
                      "--time-to-live-specification", "Enabled=true,AttributeName=expiresAt"});
  ASSERT_EQ(enabled.exitCode, 0) << enabled.err;
  EXPECT_EQ(enabled.out.at("TimeToLiveSpecification"),
            parse(R"({"Enabled":true,"AttributeName":"expiresAt"})"));

  auto after = aws({"dynamodb", "describe-time-to-live", "--table-name", "Orders"});
  ASSERT_EQ(after.exitCode, 0) << after.err;
  EXPECT_EQ(after.out.at("TimeToLiveDescription"),
            parse(R"({"TimeToLiveStatus":"ENABLED","AttributeName":"expiresAt"})"));
}

TEST_F(AwsCliTest, DeleteTableRemovesItAndLaterCallsFindNoTable) {
  ASSERT_NO_FATAL_FAILURE(createOrdersTable());
  auto deleted = aws({"dynamodb", "delete-table", "--table-name", "Orders"});
  ASSERT_EQ(deleted.exitCode, 0) << deleted.err;
  EXPECT_EQ(deleted.out.at("TableDescription").at("TableName"), "Orders");
  auto gone = aws({"dynamodb", "wait", "table-not-exists", "--table-name", "Orders"});
  ASSERT_EQ(gone.exitCode, 0) << gone.err;

  auto listed = aws({"dynamodb", "list-tables"});
  ASSERT_EQ(listed.exitCode, 0) << listed.err;
  EXPECT_EQ(listed.out.at("TableNames"), json::array{});
  auto described = aws({"dynamodb", "describe-table", "--table-name", "Orders"});
  EXPECT_EQ(described.errorCode, "ResourceNotFoundException") << described.err;
}

TEST_F(AwsCliTest, AMissingTableIsResourceNotFound) {
  auto r = aws({"dynamodb", "get-item", "--table-name", "Nope", "--key", R"({"pk":{"S":"x"}})"});
  EXPECT_EQ(r.exitCode, 254);
  EXPECT_EQ(r.errorCode, "ResourceNotFoundException") << r.err;
  EXPECT_NE(r.err.find("Requested resource not found"), std::string::npos) << r.err;
}

TEST_F(AwsCliTest, InvalidRequestsAreValidationExceptionsWithDynamoDbsMessages) {
  ASSERT_NO_FATAL_FAILURE(createOrdersTable());
  auto partialKey =
      aws({"dynamodb", "get-item", "--table-name", "Orders", "--key", R"({"pk":{"S":"x"}})"});
  EXPECT_EQ(partialKey.errorCode, "ValidationException") << partialKey.err;
  EXPECT_NE(partialKey.err.find("The provided key element does not match the schema"),
            std::string::npos)
      << partialKey.err;

  auto wrongType = aws({"dynamodb", "put-item", "--table-name", "Orders", "--item",
                        R"({"pk":{"N":"1"},"sk":{"S":"x"}})"});
  EXPECT_EQ(wrongType.errorCode, "ValidationException") << wrongType.err;
  EXPECT_NE(wrongType.err.find("Type mismatch for key pk expected: S actual: N"), std::string::npos)
      << wrongType.err;

  auto undefinedValue =
      aws({"dynamodb", "update-item", "--table-name", "Orders", "--key",
           R"({"pk":{"S":"c1"},"sk":{"S":"o1"}})", "--update-expression", "SET a = :a"});
  EXPECT_EQ(undefinedValue.errorCode, "ValidationException") << undefinedValue.err;
  EXPECT_NE(undefinedValue.err.find("An expression attribute value used in expression is not "
                                    "defined; attribute value: :a"),
            std::string::npos)
      << undefinedValue.err;
}

TEST_F(AwsCliTest, AWrongSecretIsAnInvalidSignature) {
  auto r = aws({"dynamodb", "list-tables"}, {.id = "test", .secret = "not-the-secret"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_EQ(r.errorCode, "InvalidSignatureException") << r.err;
}

TEST_F(AwsCliTest, AnUnknownAccessKeyIsAnUnrecognizedClient) {
  auto r = aws({"dynamodb", "list-tables"}, {.id = "nobody", .secret = "test"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_EQ(r.errorCode, "UnrecognizedClientException") << r.err;
}

// A client scenario script: argv[1] is the endpoint; exit code 0 means every check held,
// otherwise stderr says which did not.
class ClientScriptTest : public ::testing::Test {
 protected:
  CommandResult runScript(std::vector<std::string> interpreterAndScript,
                          std::vector<std::string> extraArgs = {}) {
    std::vector<std::string> command = cleanEnvironment(home_.path(), {});
    command.insert(command.end(), interpreterAndScript.begin(), interpreterAndScript.end());
    command.push_back(awsEndpoint(server_));
    command.insert(command.end(), extraArgs.begin(), extraArgs.end());
    return runCommand(command);
  }

  ServerProcess server_{kBakery, kTablesOnly};
  TempDir home_;
};

TEST_F(ClientScriptTest, Boto3ClientAndResourceScenarioPasses) {
  ASSERT_TRUE(std::filesystem::exists(kPython)) << kPython << " is missing";
  // -I: isolated mode, so no user site-packages shadow Debian's boto3.
  auto r = runScript({kPython, "-I", kBoto3Script});
  EXPECT_EQ(r.exitCode, 0) << "stderr:\n" << r.err << "\nstdout:\n" << r.out;
}

TEST_F(ClientScriptTest, JavaScriptSdkV3ScenarioPasses) {
  ASSERT_TRUE(std::filesystem::exists(kNode)) << kNode << " is missing";
  ASSERT_TRUE(std::filesystem::exists(std::string(kNodeModules) + "/@aws-sdk/client-dynamodb"))
      << "@aws-sdk/client-dynamodb is not installed in " << kNodeModules << " (run npm ci)";
  auto r = runScript({kNode, kSdkJsScript}, {kNodeModules});
  EXPECT_EQ(r.exitCode, 0) << "stderr:\n" << r.err << "\nstdout:\n" << r.out;
}

}  // namespace
}  // namespace bakery::testing
