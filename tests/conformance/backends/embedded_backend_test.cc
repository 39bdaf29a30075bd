// The conformance suite against the embedded engine, in process: RocksDB in a fresh
// temporary directory, the system scope.
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>

#include <gtest/gtest.h>

#include "conformance/conformance_suite.h"
#include "core/clock.h"
#include "core/ids.h"
#include "platform/storage/storage.h"
#include "platform/table/engine/table_engine.h"

namespace {

class EmbeddedBackend {
 public:
  EmbeddedBackend() {
    char tmpl[] = "/tmp/bakery-conformance-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    auto storage = bakery::storage::Storage::open({dir_, bakery::storage::SyncPolicy::kNone});
    if (!storage) throw std::runtime_error(storage.error().message());
    storage_ = std::move(*storage);
    bakery::table::engine::EngineOptions options;
    options.ttlSweepInterval = std::chrono::milliseconds(0);
    engine_ =
        std::make_unique<bakery::table::engine::TableEngine>(*storage_, clock_, ids_, options);
    if (auto r = engine_->open(); !r) throw std::runtime_error(r.error().message());
    service_ = engine_->service("");
  }
  ~EmbeddedBackend() {
    service_.reset();
    engine_.reset();
    storage_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  bakery::table::TableService& service() { return *service_; }

 private:
  std::string dir_;
  bakery::core::SystemClock clock_;
  bakery::core::RandomIdGenerator ids_;
  std::unique_ptr<bakery::storage::Storage> storage_;
  std::unique_ptr<bakery::table::engine::TableEngine> engine_;
  std::unique_ptr<bakery::table::TableService> service_;
};

}  // namespace

int main(int argc, char** argv) {
  return bakery::conformance::runConformanceMain<EmbeddedBackend>(argc, argv, "embedded");
}
