#include "apps/bakery/capabilities.h"

#include "apps/bakery/serve_config.h"
#include "handlers/diag/diag.h"

namespace bakery::app {

std::vector<Capability> builtinCapabilities(const ServeConfig& config) {
  std::vector<Capability> out;
  if (config.diag) out.push_back({"diag", &handlers::diag::wire});
  // TODO(#5): auth, TODO later issues: woofy, automation, analytics.
  return out;
}

}  // namespace bakery::app
