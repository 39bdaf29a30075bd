// Custom roles of a tenant (`auth-roles`, key name): listing, defining, deleting. A custom
// role holds known scopes only, and a caller may define a role only from scopes the caller
// holds. Deleting a role leaves its name on the users who hold it, where it grants nothing.
#include <string>

#include "handlers/auth/audit.h"
#include "handlers/auth/model.h"
#include "handlers/auth/store.h"

namespace bakery::handlers::auth::detail {

using table::attr;
using table::AttributeMap;
using table::Condition;
using table::S;
using table::TransactionAction;

namespace {

json::object roleView(std::string_view name, const std::vector<std::string>& scopes, bool builtIn) {
  return {{"name", name}, {"scopes", jsonStrings(scopes)}, {"builtIn", builtIn}};
}

std::optional<std::string> roleName(const Call& call) {
  auto name = call.http().pathParam("name");
  if (!name || name->empty() || name->size() > 64) return std::nullopt;
  return std::string(*name);
}

}  // namespace

json::value listRoles(Call& call) {
  auto custom = loadCustomRoles(call.ctx().tables());
  if (!custom) return call.internal("reading roles failed", custom.error());
  json::array items;
  for (auto name : builtInRoleNames()) items.push_back(roleView(name, builtInScopes(name), true));
  for (const auto& [name, scopes] : *custom) items.push_back(roleView(name, scopes, false));
  return call.respond(200, json::object{{"items", std::move(items)}});
}

json::value putRole(Call& call) {
  const Identity& id = *call.identity();
  auto name = roleName(call);
  if (!name || !isValidCustomRoleName(*name)) {
    std::string why = name && isBuiltInRole(*name) ? "Built-in roles cannot be changed"
                                                   : "A role name is [a-z][a-z0-9-]{1,31}";
    return call.fail(core::Error::validation(why, "name"));
  }
  auto body = readBody(call, {"scopes"});
  if (!body) return call.fail(body.error());
  auto scopes = scopesField(*body, id.scopes, "role");
  if (!scopes) return call.fail(scopes.error());
  std::vector<std::string> sorted = *scopes;
  std::sort(sorted.begin(), sorted.end());
  AttributeMap item{{"name", S(*name)},
                    {"scopes", stringList(sorted)},
                    {"updatedAt", S(isoTime(call.now()))},
                    {"updatedBy", S(id.subject)}};
  auto done =
      commitAudited(call, id.tenant, {TransactionAction::put(kRolesTable, item)},
                    {.action = "custom_role_changed",
                     .actor = id.subject,
                     .target = *name,
                     .detail = json::object{
                         {"role", *name}, {"change", "put"}, {"scopes", jsonStrings(sorted)}}});
  if (!done) return call.internal("storing a role failed", done.error());
  return call.respond(200, roleView(*name, sorted, false));
}

json::value deleteRole(Call& call) {
  const Identity& id = *call.identity();
  core::Error notFound = core::Error::notFound("Role not found");
  auto name = roleName(call);
  if (!name) return call.fail(notFound);
  if (isBuiltInRole(*name)) {
    return call.fail(core::Error::validation("Built-in roles cannot be changed", "name"));
  }
  auto existing =
      call.ctx().tables().open(kRolesTable)->get({{"name", S(*name)}}, {.consistent = true});
  if (!existing) return call.internal("reading a role failed", existing.error());
  if (!*existing) return call.fail(notFound);
  if (!coversAll(id.scopes, strings(**existing, "scopes"))) {
    return call.fail(core::Error("AccessDeniedException", 403,
                                 "The role carries scopes the caller does not hold"));
  }
  auto done = commitAudited(call, id.tenant,
                            {TransactionAction::remove(kRolesTable, {{"name", S(*name)}},
                                                       Condition::exists(attr("name")))},
                            {.action = "custom_role_changed",
                             .actor = id.subject,
                             .target = *name,
                             .detail = json::object{{"role", *name}, {"change", "delete"}}});
  if (!done) {
    if (isConditionFailure(done.error())) return call.fail(notFound);
    return call.internal("deleting a role failed", done.error());
  }
  return call.noContent();
}

}  // namespace bakery::handlers::auth::detail
