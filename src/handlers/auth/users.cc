// Users of a tenant: listing, invitations, role and status changes, deletion.
//
// Every read and write goes through ctx.tables() / ctx.bus(), the caller's tenant: a user of
// another tenant is simply not found. Invitations are the exception by necessity: accepting
// one is a public route, and its tenant comes from the stored invitation, never from the
// request.
#include <algorithm>
#include <string>

#include "core/email_address.h"
#include "core/encoding.h"
#include "core/random.h"
#include "handlers/auth/audit.h"
#include "handlers/auth/model.h"
#include "handlers/auth/store.h"

namespace bakery::handlers::auth::detail {

using table::attr;
using table::AttributeMap;
using table::AttributeValue;
using table::Condition;
using table::S;
using table::TransactionAction;
using table::Update;

namespace {

constexpr StringRule kNameRule{.minChars = 1, .maxChars = 100, .maxBytes = 400};
constexpr StringRule kRoleRule{.minChars = 1, .maxChars = 32, .maxBytes = 32};
constexpr StringRule kTokenRule{.minChars = 1, .maxChars = 128, .maxBytes = 128};
constexpr StringRule kPasswordRule{.minChars = 1,
                                   .maxChars = kMaxPasswordBytes,
                                   .maxBytes = kMaxPasswordBytes,
                                   .allowControl = true};
constexpr std::size_t kMaxRolesPerUser = 10;

core::Error denied(std::string message) {
  return core::Error("AccessDeniedException", 403, std::move(message));
}

core::Error userNotFound() { return core::Error::notFound("User not found"); }

core::Error invalidInvitation() {
  return core::Error("InvalidTokenException", 400, "The token is invalid, expired or used",
                     "token");
}

Caller callerOf(const Identity& id) { return Caller{id.subject, id.roles, id.scopes}; }

// The `{id}` path parameter, when it can name a user at all.
std::optional<std::string> pathId(const Call& call) {
  auto id = call.http().pathParam("id");
  if (!id || id->empty() || id->size() > 64) return std::nullopt;
  return std::string(*id);
}

core::Error verdictError(GrantVerdict v) {
  switch (v) {
    case GrantVerdict::kOwnerOnly:
      return denied("Only an owner may grant or remove the owner role");
    case GrantVerdict::kBeyondCallerScope:
      return denied("A role carries scopes the caller does not hold");
    case GrantVerdict::kSelfEscalation:
      return denied("Callers may not raise their own roles");
    case GrantVerdict::kAllowed:
      break;
  }
  return core::Error::internal();
}

core::Error lastOwner() {
  return core::Error::conflict("ConflictException",
                               "The last enabled owner cannot be removed, disabled or deleted");
}

core::Result<std::int64_t> enabledOwners(table::Tables& tables) {
  auto profile = loadProfile(tables);
  if (!profile) return profile.error();
  return *profile ? num(**profile, "enabledOwners") : 0;
}

}  // namespace

json::value listUsers(Call& call) {
  auto page = readPage(call, {"userId"});
  if (!page) return call.fail(page.error());
  auto result = call.ctx()
                    .tables()
                    .open(kUsersTable)
                    ->scan({.limit = page->limit, .consistent = true, .startKey = page->startKey});
  if (!result) return call.internal("listing users failed", result.error());
  json::array items;
  for (const auto& item : result->items) items.push_back(userView(userFrom(item)));
  json::object body{{"items", std::move(items)}};
  if (auto next = encodeNextToken(result->lastKey)) body["nextToken"] = *next;
  return call.respond(200, body);
}

json::value inviteUser(Call& call) {
  const Identity& id = *call.identity();
  auto body = readBody(call, {"email", "role"});
  if (!body) return call.fail(body.error());
  auto email = emailField(*body, "email", {});
  if (!email) return call.fail(email.error());
  auto role = requiredString(*body, "role", {}, kRoleRule);
  if (!role) return call.fail(role.error());

  table::Tables& tables = call.ctx().tables();
  auto custom = loadCustomRoles(tables);
  if (!custom) return call.internal("reading roles failed", custom.error());
  if (!roleExists(*role, *custom)) {
    return call.fail(core::Error::validation("role names no role of this tenant", "role"));
  }
  if (auto v = checkGrant(callerOf(id), *role, *custom); v != GrantVerdict::kAllowed) {
    return call.fail(verdictError(v));
  }
  auto existing =
      tables.open(kUserEmailsTable)->get({{"skeleton", S(email->skeleton)}}, {.consistent = true});
  if (!existing) return call.internal("reading the email index failed", existing.error());
  if (*existing) {
    return call.fail(core::Error::conflict("ConflictException", "A user with this email exists"));
  }

  std::string token = core::randomToken(32);
  std::string tokenHash = core::sha256Hex(token);
  auto expires = call.now() + call.options().invitationLifetime;
  std::int64_t expiresSeconds = call.nowSeconds() + call.options().invitationLifetime.count();
  // The token's record and its delivery event in one commit (system scope); the tenant's
  // audit has the invitation without the token or the address (no personal data).
  auto delivered =
      commitDelivery(call,
                     TransactionAction::put(kOneTimeTokensTable,
                                            {{"tokenHash", S(tokenHash)},
                                             {"kind", S("invitation")},
                                             {"tenant", S(id.tenant)},
                                             {"email", S(email->normalized)},
                                             {"skeleton", S(email->skeleton)},
                                             {"role", S(*role)},
                                             {"invitedBy", S(id.subject)},
                                             {"expiresAt", numberValue(expiresSeconds)},
                                             {kTtlAttribute, numberValue(expiresSeconds)}},
                                            Condition::notExists(attr("tokenHash"))),
                     "invitation_created",
                     json::object{{"tenant", id.tenant},
                                  {"token", token},
                                  {"email", email->normalized},
                                  {"role", *role},
                                  {"expiresAt", isoTime(expires)}});
  if (!delivered) return call.internal("storing an invitation failed", delivered.error());
  auto done = commitAudited(call, id.tenant, {},
                            {.action = "invitation_created",
                             .actor = id.subject,
                             .detail = json::object{{"role", *role}}});
  if (!done) return call.internal("recording an invitation failed", done.error());
  return call.respond(201, json::object{{"invitationToken", token},
                                        {"expiresAt", isoTime(expires)},
                                        {"email", email->normalized},
                                        {"role", *role}});
}

json::value acceptInvitation(Call& call) {
  auto body = readBody(call, {"token", "password", "name"});
  if (!body) return call.fail(body.error());
  auto token = requiredString(*body, "token", {}, kTokenRule);
  if (!token) return call.fail(token.error());
  auto password = requiredString(*body, "password", {}, kPasswordRule);
  if (!password) return call.fail(password.error());
  auto name = requiredString(*body, "name", {}, kNameRule);
  if (!name) return call.fail(name.error());

  auto tokens = call.systemTables().open(kOneTimeTokensTable);
  AttributeMap key{{"tokenHash", S(core::sha256Hex(*token))}};
  auto got = tokens->get(key, {.consistent = true});
  if (!got) return call.internal("reading a token failed", got.error());
  if (!*got || str(**got, "kind") != "invitation" || num(**got, "expiresAt") <= call.nowSeconds()) {
    return call.fail(invalidInvitation());
  }
  const AttributeMap invitation = **got;
  if (auto policy = checkPasswordPolicy(*password, call.services().commonPasswords, "password");
      !policy) {
    return call.fail(policy.error());
  }
  // The tenant comes from our own record of the invitation.
  std::string tenant = str(invitation, "tenant");
  table::Tables& tables = call.tenantTables(tenant);
  auto existing = tables.open(kUserEmailsTable)
                      ->get({{"skeleton", S(str(invitation, "skeleton"))}}, {.consistent = true});
  if (!existing) return call.internal("reading the email index failed", existing.error());
  if (*existing) {
    return call.fail(core::Error::conflict("ConflictException", "A user with this email exists"));
  }
  auto hash = call.services().hasher.hash(*password);
  if (!hash) return call.internal("hashing a password failed", hash.error());

  User user{.id = newId("usr_", 12),
            .email = str(invitation, "email"),
            .skeleton = str(invitation, "skeleton"),
            .name = *name,
            .passwordHash = std::move(*hash),
            .roles = {str(invitation, "role")},
            .createdAt = isoTime(call.now())};
  auto custom = loadCustomRoles(tables);
  if (!custom) return call.internal("reading roles failed", custom.error());
  auto access = signAccessToken(call, tenant, user, *custom);
  if (!access) return call.fail(access.error());

  auto consumed = tokens->remove(key, {.condition = attr("kind") == S("invitation")});
  if (!consumed) {
    if (isConditionFailure(consumed.error())) return call.fail(invalidInvitation());
    return call.internal("consuming a token failed", consumed.error());
  }
  auto restore = [&] { (void)tokens->put(invitation); };
  auto session = startSession(call, tenant, user);
  if (!session) {
    restore();
    return call.internal("starting a session failed", session.error());
  }
  std::vector<TransactionAction> actions{
      TransactionAction::put(kUsersTable, userItem(user), Condition::notExists(attr("userId"))),
      TransactionAction::put(kUserEmailsTable,
                             {{"skeleton", S(user.skeleton)}, {"userId", S(user.id)}},
                             Condition::notExists(attr("skeleton"))),
      std::move(session->family)};
  if (countsAsOwner(user)) actions.push_back(ownerCountChange(+1));
  auto done = commitAudited(call, tenant, std::move(actions),
                            {.action = "invitation_accepted",
                             .actor = user.id,
                             .target = user.id,
                             .detail = json::object{{"userId", user.id},
                                                    {"role", user.roles.front()},
                                                    {"invitedBy", str(invitation, "invitedBy")}}});
  if (!done) {
    restore();
    if (isConditionFailure(done.error())) {
      return call.fail(core::Error::conflict("ConflictException", "A user with this email exists"));
    }
    return call.internal("accepting an invitation failed", done.error());
  }
  json::object out = tokenPair(call, std::move(*access), std::move(session->refreshToken));
  out["user"] =
      json::object{{"id", user.id}, {"email", user.email}, {"roles", jsonStrings(user.roles)}};
  return call.respond(201, out);
}

json::value patchUser(Call& call) {
  const Identity& id = *call.identity();
  auto targetId = pathId(call);
  if (!targetId) return call.fail(userNotFound());
  auto body = readBody(call, {"roles", "disabled", "name"});
  if (!body) return call.fail(body.error());
  auto roles = stringListField(*body, "roles", kMaxRolesPerUser, 32);
  if (!roles) return call.fail(roles.error());
  auto disabled = boolField(*body, "disabled");
  if (!disabled) return call.fail(disabled.error());
  auto name = stringField(*body, "name", {}, kNameRule, false);
  if (!name) return call.fail(name.error());
  if (!*roles && !*disabled && !*name) {
    return call.fail(
        core::Error::validation("Nothing to change: send roles, disabled or name", "body"));
  }
  if (*roles && (*roles)->empty()) {
    return call.fail(core::Error::validation("roles must name at least one role", "roles"));
  }

  table::Tables& tables = call.ctx().tables();
  auto loaded = loadUser(tables, *targetId);
  if (!loaded) return call.internal("reading a user failed", loaded.error());
  if (!*loaded) return call.fail(userNotFound());
  const User before = **loaded;
  auto custom = loadCustomRoles(tables);
  if (!custom) return call.internal("reading roles failed", custom.error());

  User after = before;
  if (*roles) after.roles = **roles;
  if (*disabled) after.disabled = **disabled;
  if (*name) after.name = **name;
  for (const auto& r : after.roles) {
    if (!roleExists(r, *custom) &&
        std::find(before.roles.begin(), before.roles.end(), r) == before.roles.end()) {
      return call.fail(core::Error::validation("roles names no role of this tenant", "roles"));
    }
  }
  Caller caller = callerOf(id);
  bool rolesChanged = after.roles != before.roles;
  bool statusChanged = after.disabled != before.disabled;
  if (rolesChanged) {
    if (auto v = checkRoleChange(caller, before.id, before.roles, after.roles, *custom);
        v != GrantVerdict::kAllowed) {
      return call.fail(verdictError(v));
    }
  }
  if ((statusChanged || after.name != before.name) && before.id != caller.userId &&
      !mayManage(caller, before.roles, *custom)) {
    return call.fail(denied("The user holds roles the caller may not manage"));
  }
  std::int64_t ownerDelta = (countsAsOwner(after) ? 1 : 0) - (countsAsOwner(before) ? 1 : 0);
  if (ownerDelta < 0) {
    auto owners = enabledOwners(tables);
    if (!owners) return call.internal("reading the tenant failed", owners.error());
    if (*owners <= 1) return call.fail(lastOwner());
  }

  Update update;
  update.set(attr("roles"), stringList(after.roles))
      .set(attr("disabled"), AttributeValue::boolean(after.disabled))
      .set(attr("name"), S(after.name))
      .add(attr("version"), numberValue(1));
  // Disabling ends every session of the user.
  if (statusChanged && after.disabled) update.add(attr("generation"), numberValue(1));
  std::vector<TransactionAction> actions{TransactionAction::updateItem(
      kUsersTable, userKey(before.id), update, attr("version") == numberValue(before.version))};
  if (ownerDelta != 0) actions.push_back(ownerCountChange(ownerDelta));

  std::vector<AuditEntry> entries;
  if (rolesChanged) {
    entries.push_back({.action = "role_changed",
                       .actor = caller.userId,
                       .target = before.id,
                       .detail = json::object{{"userId", before.id},
                                              {"from", jsonStrings(before.roles)},
                                              {"to", jsonStrings(after.roles)}}});
  }
  if (statusChanged) {
    entries.push_back({.action = after.disabled ? "user_disabled" : "user_enabled",
                       .actor = caller.userId,
                       .target = before.id,
                       .detail = json::object{{"userId", before.id}}});
  }
  if (entries.empty()) {
    entries.push_back({.action = "user_updated",
                       .actor = caller.userId,
                       .target = before.id,
                       .detail = json::object{{"userId", before.id}}});
  }
  auto done = commitAuditedAll(call, id.tenant, std::move(actions), entries);
  if (!done) {
    auto failed = failedAction(done.error());
    if (failed == std::size_t{0}) {
      return call.fail(
          core::Error::conflict("ConflictException", "The user changed concurrently; retry"));
    }
    if (failed == std::size_t{1}) return call.fail(lastOwner());
    return call.internal("updating a user failed", done.error());
  }
  after.version = before.version + 1;
  return call.respond(200, userView(after));
}

json::value deleteUser(Call& call) {
  const Identity& id = *call.identity();
  auto targetId = pathId(call);
  if (!targetId) return call.fail(userNotFound());
  table::Tables& tables = call.ctx().tables();
  auto loaded = loadUser(tables, *targetId);
  if (!loaded) return call.internal("reading a user failed", loaded.error());
  if (!*loaded) return call.fail(userNotFound());
  const User& user = **loaded;
  auto custom = loadCustomRoles(tables);
  if (!custom) return call.internal("reading roles failed", custom.error());
  Caller caller = callerOf(id);
  if (user.id != caller.userId && !mayManage(caller, user.roles, *custom)) {
    return call.fail(denied("The user holds roles the caller may not manage"));
  }
  if (countsAsOwner(user)) {
    auto owners = enabledOwners(tables);
    if (!owners) return call.internal("reading the tenant failed", owners.error());
    if (*owners <= 1) return call.fail(lastOwner());
  }
  // The user's item goes (email, name and password hash with it), and so does the email
  // index entry; with the user gone, every refresh of theirs fails. Audit rows stay: they
  // hold the user id only.
  std::vector<TransactionAction> actions{
      TransactionAction::remove(kUsersTable, userKey(user.id),
                                attr("version") == numberValue(user.version)),
      TransactionAction::remove(kUserEmailsTable, {{"skeleton", S(user.skeleton)}},
                                attr("userId") == S(user.id))};
  if (countsAsOwner(user)) actions.push_back(ownerCountChange(-1));
  auto done = commitAudited(call, id.tenant, std::move(actions),
                            {.action = "user_deleted",
                             .actor = caller.userId,
                             .target = user.id,
                             .detail = json::object{{"userId", user.id}}});
  if (!done) {
    auto failed = failedAction(done.error());
    if (failed == std::size_t{0} || failed == std::size_t{1}) {
      return call.fail(
          core::Error::conflict("ConflictException", "The user changed concurrently; retry"));
    }
    if (failed == std::size_t{2}) return call.fail(lastOwner());
    return call.internal("deleting a user failed", done.error());
  }
  return call.noContent();
}

}  // namespace bakery::handlers::auth::detail
