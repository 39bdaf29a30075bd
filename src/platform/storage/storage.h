// Storage: the one RocksDB instance of a `bakery serve` node, its column families, and the
// durability policy of every write.
//
// Each concern keeps its records in its own column family (table items, index entries,
// change streams, metadata, ...); a single WriteBatch may span families, so a table write,
// its index entries and its stream record commit atomically. write() returns only once the
// batch is durable per the sync policy: with SyncPolicy::kFsync (the default) the WAL
// record is fsynced before write() returns; concurrent writers share one fsync (RocksDB
// groups them). kNone leaves flushing to the OS: it survives a process crash (kill -9),
// not a power loss. Thread-safe. RocksDB types stay out of this header (forward
// declarations) so that including it stays cheap.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace bakery::storage {

enum class SyncPolicy { kFsync, kNone };

// "fsync" or "none"; nullopt otherwise.
std::optional<SyncPolicy> syncPolicyFromName(std::string_view name);

struct StorageOptions {
  std::string path;  // a directory; created when missing
  SyncPolicy sync = SyncPolicy::kFsync;
  std::size_t blockCacheBytes = 64 * 1024 * 1024;
};

// kBus: the event bus log, per-target delivery records and archives; kQueues: queue
// messages and their indexes; kSchedules: schedules and their next firing. Metadata of
// every service (tables, buses, rules, queues) lives in kMeta under its own key prefix.
enum class Family { kMeta, kItems, kIndexes, kStreams, kBus, kQueues, kSchedules };
inline constexpr int kFamilyCount = 7;

class Storage {
 public:
  static core::Result<std::unique_ptr<Storage>> open(const StorageOptions& options);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle* family(Family f) { return families_[static_cast<int>(f)]; }
  // Commits `batch` atomically and durably (per the sync policy).
  core::Result<void> write(rocksdb::WriteBatch& batch);
  SyncPolicy syncPolicy() const { return sync_; }

 private:
  Storage() = default;

  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* families_[kFamilyCount] = {};
  SyncPolicy sync_ = SyncPolicy::kFsync;
};

}  // namespace bakery::storage
