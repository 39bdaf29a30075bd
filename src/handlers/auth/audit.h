// The audit trail: every security-relevant action is a row of the tenant's `auth-audit` table
// and an `auth.<action>` event (source "bakery.auth") on the tenant's default bus, committed
// together with the state change it records (Bus::putWithWrites: one commit).
//
// Rows and audit events never hold a password, hash, token or key. One-time tokens
// (invitations, password resets) still have to reach their user, and there is no mail
// server: commitDelivery() stores the token's record and puts a delivery event carrying the
// token on the SYSTEM bus, in one commit, for the operator's mailer to pick up (a rule on
// the system scope's default bus). Tenants never see delivery events; their audit event of
// the same name has no token.
#pragma once

#include <string>
#include <vector>

#include <bakery/bus.h>
#include <bakery/table/table.h>

#include "core/json.h"
#include "core/result.h"
#include "handlers/auth/call.h"

namespace bakery::handlers::auth::detail {

inline constexpr const char* kEventSource = "bakery.auth";
inline constexpr const char* kAuditStream = "audit";

struct AuditEntry {
  std::string action;   // e.g. "login_succeeded"; the event is "auth.<action>"
  std::string actor;    // the acting user or API key id; empty for an anonymous caller
  std::string target;   // the user, key or role acted on; may be empty
  json::object detail;  // more facts, never a secret
};

// Commits `actions` (in `tenant`'s scope), the audit row and the event in one write.
core::Result<void> commitAudited(Call& call, const std::string& tenant,
                                 std::vector<table::TransactionAction> actions,
                                 const AuditEntry& entry);

// Commits `tokenRecord` (a system-scope action) with the event `auth.<action>` on the system
// bus whose detail is `detail` (the token, the address, the tenant): one write.
core::Result<void> commitDelivery(Call& call, table::TransactionAction tokenRecord,
                                  const std::string& action, json::object detail);

// The same for several entries of one change (e.g. a role change and a disabling).
core::Result<void> commitAuditedAll(Call& call, const std::string& tenant,
                                    std::vector<table::TransactionAction> actions,
                                    const std::vector<AuditEntry>& entries);

// GET /v1/audit: the caller's tenant's audit rows, newest first.
json::value listAudit(Call& call);

}  // namespace bakery::handlers::auth::detail
