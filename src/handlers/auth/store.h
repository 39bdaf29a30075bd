// The auth capability's tables (their keys are documented in docs/auth.md) and small helpers
// for reading and writing their items. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <bakery/function.h>
#include <bakery/table/table.h>

#include "core/json.h"
#include "core/result.h"

namespace bakery::handlers::auth::detail {

// System scope ("").
inline constexpr const char* kTenantsTable = "auth-tenants";                // slug
inline constexpr const char* kApiKeyIndexTable = "auth-api-key-index";      // keyId
inline constexpr const char* kOneTimeTokensTable = "auth-one-time-tokens";  // tokenHash
inline constexpr const char* kThrottleTable = "auth-throttle";              // key
inline constexpr const char* kRefreshTokensTable = "auth-refresh-tokens";   // tokenHash
// Tenant scope.
inline constexpr const char* kTenantProfileTable = "auth-tenant-profile";  // id = "profile"
inline constexpr const char* kUsersTable = "auth-users";                   // userId
inline constexpr const char* kUserEmailsTable = "auth-user-emails";        // skeleton
inline constexpr const char* kSessionsTable = "auth-sessions";             // familyId
inline constexpr const char* kApiKeysTable = "auth-api-keys";              // keyId
inline constexpr const char* kRolesTable = "auth-roles";                   // name
inline constexpr const char* kAuditTable = "auth-audit";                   // stream, at

inline constexpr const char* kTtlAttribute = "ttl";  // epoch seconds
inline constexpr const char* kProfileId = "profile";

// Every table above, as registry.addTable() declares it.
std::vector<TableSpec> tableSpecs();

// Item attributes, tolerant of absence (a missing attribute reads as empty, 0 or false).
std::string str(const table::AttributeMap& item, std::string_view name);
std::int64_t num(const table::AttributeMap& item, std::string_view name);
bool flag(const table::AttributeMap& item, std::string_view name);
std::vector<std::string> strings(const table::AttributeMap& item, std::string_view name);

table::AttributeValue numberValue(std::int64_t n);
// A list of strings (L of S: unlike SS it may be empty and keeps its order).
table::AttributeValue stringList(const std::vector<std::string>& values);
json::array jsonStrings(const std::vector<std::string>& values);

// JSON values as attribute values and back (numbers as integers or their decimal text).
table::AttributeValue fromJson(const json::value& v);
json::value toJson(const table::AttributeValue& v);

// True for a failed condition: ConditionalCheckFailedException, or a transaction cancelled
// by one.
bool isConditionFailure(const core::Error& error);
// The index of the first action of a cancelled transaction whose condition failed.
std::optional<std::size_t> failedAction(const core::Error& error);

// base64url without padding, and its inverse (nullopt for anything else).
std::string toBase64Url(std::string_view bytes);
std::optional<std::string> fromBase64Url(std::string_view text);

// A random identifier: `prefix` + 2*bytes lower-case hex digits (no '_' in the hex part).
std::string newId(std::string_view prefix, std::size_t bytes);

}  // namespace bakery::handlers::auth::detail
