#include "handlers/auth/model.h"

#include "core/time_format.h"
#include "handlers/auth/store.h"

namespace bakery::handlers::auth::detail {

using table::attr;
using table::AttributeMap;
using table::S;

User userFrom(const AttributeMap& item) {
  User u;
  u.id = str(item, "userId");
  u.email = str(item, "email");
  u.skeleton = str(item, "skeleton");
  u.name = str(item, "name");
  u.passwordHash = str(item, "passwordHash");
  u.roles = strings(item, "roles");
  u.disabled = flag(item, "disabled");
  u.generation = num(item, "generation");
  u.version = num(item, "version");
  u.createdAt = str(item, "createdAt");
  return u;
}

AttributeMap userItem(const User& u) {
  return {{"userId", S(u.id)},
          {"email", S(u.email)},
          {"skeleton", S(u.skeleton)},
          {"name", S(u.name)},
          {"passwordHash", S(u.passwordHash)},
          {"roles", stringList(u.roles)},
          {"disabled", table::AttributeValue::boolean(u.disabled)},
          {"generation", numberValue(u.generation)},
          {"version", numberValue(u.version)},
          {"createdAt", S(u.createdAt)}};
}

json::object userView(const User& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"name", u.name},
          {"roles", jsonStrings(u.roles)},
          {"disabled", u.disabled},
          {"createdAt", u.createdAt}};
}

AttributeMap userKey(const std::string& id) { return {{"userId", S(id)}}; }

core::Result<std::optional<User>> loadUser(table::Tables& tables, const std::string& id) {
  auto got = tables.open(kUsersTable)->get(userKey(id), {.consistent = true});
  if (!got) return got.error();
  if (!*got) return std::optional<User>();
  return std::optional<User>(userFrom(**got));
}

core::Result<CustomRoles> loadCustomRoles(table::Tables& tables) {
  CustomRoles roles;
  auto table = tables.open(kRolesTable);
  std::optional<AttributeMap> start;
  // A tenant has few custom roles; the loop guards against a page boundary all the same.
  for (int pages = 0; pages < 20; ++pages) {
    auto page = table->scan({.consistent = true, .startKey = start});
    if (!page) return page.error();
    for (const auto& item : page->items) roles[str(item, "name")] = strings(item, "scopes");
    if (!page->lastKey) break;
    start = page->lastKey;
  }
  return roles;
}

core::Result<std::optional<AttributeMap>> loadProfile(table::Tables& tables) {
  return tables.open(kTenantProfileTable)->get({{"id", S(kProfileId)}}, {.consistent = true});
}

json::object tenantView(const AttributeMap& profile) {
  return {{"id", str(profile, "tenantId")},
          {"slug", str(profile, "slug")},
          {"name", str(profile, "name")},
          {"createdAt", str(profile, "createdAt")}};
}

table::TransactionAction ownerCountChange(std::int64_t delta) {
  std::optional<table::Condition> condition;
  if (delta < 0) condition = attr("enabledOwners") > numberValue(-delta);
  return table::TransactionAction::updateItem(
      kTenantProfileTable, {{"id", S(kProfileId)}},
      table::Update().add(attr("enabledOwners"), numberValue(delta)), condition);
}

std::string isoTime(std::chrono::system_clock::time_point t) { return core::rfc3339Micro(t); }

}  // namespace bakery::handlers::auth::detail
