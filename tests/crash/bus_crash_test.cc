// At-least-once delivery of the event bus through crashes: a real `bakery serve`
// (storage.sync = fsync) with a rule that sends every event to a queue is killed with
// SIGKILL while producer threads put events, then restarted on the same data directory,
// round after round. At the end the queue is drained: every event whose PutEvents was
// acknowledged must be in it (at least once); duplicates are counted and reported. Puts that
// got no answer may or may not have been accepted. The kill is triggered by a number of
// acknowledged events, not by the clock.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "core/clock.h"
#include "core/json.h"
#include "platform/aws/aws_json_client.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace bakery::testing {
namespace {

constexpr const char* kBakery = BAKERY_BIN_PATH;
constexpr int kRounds = 5;
constexpr int kProducers = 3;
constexpr int kAcksPerRound = 300;

class DurableServer {
 public:
  explicit DurableServer(const TempDir& dir) : dataDir_(dir.path() + "/var") {}

  void start() {
    events_.reset();
    sqs_.reset();
    process_ = std::make_unique<ServerProcess>(kBakery, R"({"storage": {"sync": "fsync"}})",
                                               std::vector<std::string>{}, dataDir_);
    events_ = client("events", "AWSEvents");
    sqs_ = client("sqs", "AmazonSQS");
  }
  void kill() {
    process_->signal(SIGKILL);
    process_->waitExit(std::chrono::seconds(20));
  }
  aws::AwsJsonClient& events() { return *events_; }
  aws::AwsJsonClient& sqs() { return *sqs_; }
  std::string stderrText() { return process_ ? process_->stderrText() : ""; }

 private:
  std::unique_ptr<aws::AwsJsonClient> client(std::string service, std::string prefix) {
    aws::AwsJsonClientOptions options;
    options.endpoint = "http://127.0.0.1:" + std::to_string(process_->awsPort());
    options.region = "us-east-1";
    options.service = std::move(service);
    options.targetPrefix = std::move(prefix);
    options.retry.maxAttempts = 1;  // an unanswered put stays unacknowledged
    options.connectTimeout = std::chrono::seconds(2);
    options.requestTimeout = std::chrono::seconds(20);
    auto c = aws::AwsJsonClient::create(options, {"test", "test", ""}, clock_);
    if (!c) throw std::runtime_error(c.error().message());
    return std::move(*c);
  }

  std::string dataDir_;
  core::SystemClock clock_;
  std::unique_ptr<ServerProcess> process_;
  std::unique_ptr<aws::AwsJsonClient> events_;
  std::unique_ptr<aws::AwsJsonClient> sqs_;
};

json::object parse(std::string_view text) { return core::parseJson(text, "request")->as_object(); }

TEST(BusCrashTest, EveryAcknowledgedEventReachesItsQueueAfterRepeatedKills) {
  TempDir dir("bakery-bus-crash");
  DurableServer server(dir);
  server.start();
  auto queue = server.sqs().call("CreateQueue", parse(R"({"QueueName":"sink"})"));
  ASSERT_TRUE(queue.ok()) << queue.error().message() << server.stderrText();
  std::string url(queue->at("QueueUrl").as_string());
  auto arn = server.sqs().call(
      "GetQueueAttributes",
      json::object{{"QueueUrl", url}, {"AttributeNames", json::array{"QueueArn"}}});
  ASSERT_TRUE(arn.ok()) << arn.error().message();
  std::string queueArn(arn->at("Attributes").at("QueueArn").as_string());
  ASSERT_TRUE(
      server.events()
          .call("PutRule", parse(R"({"Name":"all","EventPattern":"{\"source\":[\"crash\"]}"})"))
          .ok());
  ASSERT_TRUE(server.events()
                  .call("PutTargets",
                        json::object{
                            {"Rule", "all"},
                            {"Targets", json::array{json::object{{"Id", "q"}, {"Arn", queueArn}}}}})
                  .ok());

  std::set<std::int64_t> acknowledged;
  std::int64_t next = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::mutex mu;
    std::condition_variable reached;
    int acks = 0;
    std::atomic<bool> stop{false};
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&] {
        while (!stop) {
          std::int64_t n;
          {
            std::lock_guard lock(mu);
            n = next++;
          }
          json::object entry{{"Source", "crash"},
                             {"DetailType", "n"},
                             {"Detail", core::toJson(json::object{{"n", n}})}};
          auto r = server.events().call("PutEvents", json::object{{"Entries", json::array{entry}}});
          if (!r.ok() || r->at("FailedEntryCount") != 0) continue;  // not acknowledged
          std::lock_guard lock(mu);
          acknowledged.insert(n);
          if (++acks >= kAcksPerRound) reached.notify_all();
        }
      });
    }
    {
      std::unique_lock lock(mu);
      reached.wait_for(lock, std::chrono::seconds(60), [&] { return acks >= kAcksPerRound; });
    }
    server.kill();
    stop = true;
    for (std::thread& t : producers) t.join();
    ASSERT_GE(acks, kAcksPerRound) << "the server did not take the load: " << server.stderrText();
    server.start();
  }

  // Drain: receive until every acknowledged event arrived, or nothing new came for a while.
  std::map<std::int64_t, int> seen;
  auto quietSince = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - quietSince < std::chrono::seconds(10)) {
    auto r = server.sqs().call(
        "ReceiveMessage",
        json::object{{"QueueUrl", url}, {"MaxNumberOfMessages", 10}, {"WaitTimeSeconds", 1}});
    ASSERT_TRUE(r.ok()) << r.error().message();
    auto messages = r->find("Messages");
    if (messages == r->end() || messages->value().as_array().empty()) {
      bool complete = std::all_of(acknowledged.begin(), acknowledged.end(),
                                  [&](std::int64_t n) { return seen.contains(n); });
      if (complete) break;
      continue;
    }
    quietSince = std::chrono::steady_clock::now();
    json::array entries;
    for (const json::value& m : messages->value().as_array()) {
      auto event = core::parseJson(m.at("Body").as_string(), "event");
      ASSERT_TRUE(event.ok());
      ++seen[event->at("detail").at("n").as_int64()];
      entries.push_back(json::object{{"Id", std::to_string(entries.size())},
                                     {"ReceiptHandle", m.at("ReceiptHandle")}});
    }
    ASSERT_TRUE(
        server.sqs()
            .call("DeleteMessageBatch", json::object{{"QueueUrl", url}, {"Entries", entries}})
            .ok());
  }
  std::vector<std::int64_t> lost;
  int duplicates = 0;
  for (std::int64_t n : acknowledged) {
    if (!seen.contains(n)) lost.push_back(n);
  }
  for (const auto& [n, count] : seen) duplicates += count - 1;
  EXPECT_TRUE(lost.empty()) << lost.size() << " acknowledged events never arrived, first "
                            << (lost.empty() ? -1 : lost.front());
  std::printf("acknowledged %zu, delivered %zu distinct, %d duplicates\n", acknowledged.size(),
              seen.size(), duplicates);
}

}  // namespace
}  // namespace bakery::testing
