#include "platform/table/engine/engine_tables.h"

namespace bakery::table::engine {
namespace {

class EngineTable final : public Table {
 public:
  EngineTable(TableEngine& engine, std::string_view tenant, std::unique_ptr<Table> json)
      : engine_(engine), tenant_(tenant), json_(std::move(json)) {}

  const std::string& name() const override { return json_->name(); }
  core::Result<std::optional<AttributeMap>> put(const AttributeMap& item,
                                                const PutOptions& options) override {
    return json_->put(item, options);
  }
  core::Result<std::optional<AttributeMap>> get(const AttributeMap& key,
                                                const GetOptions& options) override {
    if (!options.projection.empty()) return json_->get(key, options);
    return engine_.getItem(tenant_, json_->name(), key);
  }
  core::Result<std::optional<AttributeMap>> update(const AttributeMap& key, const Update& update,
                                                   const UpdateOptions& options) override {
    return json_->update(key, update, options);
  }
  core::Result<std::optional<AttributeMap>> remove(const AttributeMap& key,
                                                   const DeleteOptions& options) override {
    return json_->remove(key, options);
  }
  core::Result<Page> query(const KeyCondition& key, const QueryOptions& options) override {
    return json_->query(key, options);
  }
  core::Result<Page> scan(const ScanOptions& options) override { return json_->scan(options); }

 private:
  TableEngine& engine_;
  std::string_view tenant_;  // owned by the EngineTables that made this handle
  std::unique_ptr<Table> json_;
};

}  // namespace

EngineTables::EngineTables(TableEngine& engine, std::string tenant)
    : engine_(engine), tenant_(std::move(tenant)), json_(engine.service(tenant_)) {}

std::unique_ptr<Table> EngineTables::open(std::string_view name) {
  return std::make_unique<EngineTable>(engine_, tenant_, json_.open(name));
}

}  // namespace bakery::table::engine
