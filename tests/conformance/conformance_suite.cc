#include "conformance/conformance_suite.h"

#include <memory>
#include <utility>

#include <gtest/gtest.h>

#include "conformance/scenario.h"
#include "conformance/scenario_runner.h"

namespace bakery::conformance {
namespace {

class ScenarioTest : public ::testing::Test {
 public:
  ScenarioTest(std::shared_ptr<const Scenario> scenario, std::string backendName,
               BackendFactory backend)
      : scenario_(std::move(scenario)),
        backendName_(std::move(backendName)),
        backend_(std::move(backend)) {}

  void TestBody() override {
    if (auto skip = scenario_->skip.find(backendName_); skip != scenario_->skip.end()) {
      GTEST_SKIP() << "known divergence of " << backendName_ << ": " << skip->second;
    }
    if (!scenario_->description.empty()) {
      RecordProperty("description", scenario_->description);
    }
    ScenarioOutcome outcome = ScenarioRunner(backend_(), backendName_).run(*scenario_);
    for (const auto& note : outcome.notes) std::cout << "[ NOTE     ] " << note << "\n";
    for (const auto& failure : outcome.failures) {
      ADD_FAILURE() << scenario_->group << ".json " << scenario_->name << ": " << failure;
    }
  }

 private:
  std::shared_ptr<const Scenario> scenario_;
  std::string backendName_;
  BackendFactory backend_;
};

class LoadProblemTest : public ::testing::Test {
 public:
  explicit LoadProblemTest(std::string problem) : problem_(std::move(problem)) {}
  void TestBody() override { ADD_FAILURE() << "scenario file problem: " << problem_; }

 private:
  std::string problem_;
};

}  // namespace

void registerConformanceSuite(const std::string& scenarioDir, const std::string& backendName,
                              BackendFactory backend) {
  ScenarioFiles files = loadScenarioFiles(scenarioDir);
  for (auto& s : files.scenarios) {
    auto scenario = std::make_shared<const Scenario>(std::move(s));
    const std::string suite = backendName + "_" + scenario->group;
    ::testing::RegisterTest(suite.c_str(), scenario->name.c_str(), nullptr, nullptr, __FILE__,
                            __LINE__, [scenario, backendName, backend]() -> ::testing::Test* {
                              return new ScenarioTest(scenario, backendName, backend);
                            });
  }
  int n = 0;
  for (auto& problem : files.problems) {
    const std::string suite = backendName + "_load";
    const std::string name = std::to_string(++n);
    ::testing::RegisterTest(
        suite.c_str(), name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
        [problem]() -> ::testing::Test* { return new LoadProblemTest(problem); });
  }
}

}  // namespace bakery::conformance
