#include "apps/bakery/capabilities.h"

#include "apps/bakery/serve_config.h"
#include "handlers/auth/auth.h"
#include "handlers/diag/diag.h"

namespace bakery::app {

std::vector<Capability> builtinCapabilities(const ServeConfig& config) {
  std::vector<Capability> out;
  if (config.diag) {
    out.push_back(
        {"diag", [](FunctionRegistry& r, const CapabilityServices&) { handlers::diag::wire(r); }});
  }
  if (config.auth.enabled) {
    out.push_back(
        {"auth", [](FunctionRegistry& r, const CapabilityServices& s) {
           const AuthConfig& c = s.config.auth;
           handlers::auth::AuthOptions options;
           options.issuer = &s.tokens;
           options.clock = &s.clock;
           options.passwordCost.iterations = static_cast<std::uint32_t>(c.passwordIterations);
           options.passwordCost.memoryKiB = static_cast<std::uint32_t>(c.passwordMemoryKiB);
           options.passwordCost.maxConcurrent = static_cast<std::uint32_t>(c.passwordMaxConcurrent);
           options.signupsPerIpPerHour = static_cast<int>(c.signupsPerIpPerHour);
           options.accountFailuresBeforeLockout = static_cast<int>(c.accountFailuresBeforeLockout);
           options.ipFailuresBeforeLockout = static_cast<int>(c.ipFailuresBeforeLockout);
           handlers::auth::wire(r, options);
         }});
  }
  // TODO(#6, #7, #8): woofy, automation, analytics.
  return out;
}

}  // namespace bakery::app
