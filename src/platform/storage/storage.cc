#include "platform/storage/storage.h"

#include <filesystem>
#include <iterator>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

namespace bakery::storage {
namespace {

// Index order is Family's order.
constexpr const char* kFamilyNames[] = {"default", "table.items", "table.indexes", "table.streams",
                                        "bus",     "queues",      "schedules"};
static_assert(std::size(kFamilyNames) == kFamilyCount);

rocksdb::ColumnFamilyOptions familyOptions(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Point reads (GetItem, conditional writes) dominate: a bloom filter per block saves most
  // disk reads for absent keys.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compression = rocksdb::kNoCompression;
  return cf;
}

}  // namespace

std::optional<SyncPolicy> syncPolicyFromName(std::string_view name) {
  if (name == "fsync") return SyncPolicy::kFsync;
  if (name == "none") return SyncPolicy::kNone;
  return std::nullopt;
}

core::Result<std::unique_ptr<Storage>> Storage::open(const StorageOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return core::Error::internal("cannot create storage directory " + options.path + ": " +
                                 ec.message());
  }
  auto cache = rocksdb::NewLRUCache(options.blockCacheBytes);
  rocksdb::DBOptions db;
  db.create_if_missing = true;
  db.create_missing_column_families = true;
  db.max_background_jobs = 2;
  db.bytes_per_sync = 1 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kFamilyNames) descriptors.emplace_back(name, familyOptions(cache));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db, options.path, descriptors, &handles, &raw);
  if (!s.ok()) return core::Error::internal("cannot open storage: " + s.ToString());
  std::unique_ptr<Storage> storage(new Storage());
  storage->db_ = raw;
  for (std::size_t i = 0; i < handles.size(); ++i) storage->families_[i] = handles[i];
  storage->sync_ = options.sync;
  return storage;
}

Storage::~Storage() {
  if (!db_) return;
  for (rocksdb::ColumnFamilyHandle* h : families_) {
    if (h) db_->DestroyColumnFamilyHandle(h);
  }
  db_->Close();
  delete db_;
}

core::Result<void> Storage::write(rocksdb::WriteBatch& batch) {
  rocksdb::WriteOptions options;
  options.sync = sync_ == SyncPolicy::kFsync;
  rocksdb::Status s = db_->Write(options, &batch);
  if (!s.ok()) return core::Error::internal("storage write failed: " + s.ToString());
  return {};
}

}  // namespace bakery::storage
