#!/usr/bin/env bash
# Fails when a file under src/handlers/ includes a platform header: handlers see the SDK
# (<bakery/...>) and core value types only. Run by the build before any handler compiles.
set -euo pipefail
root="${1:-$(dirname "$0")/..}"
leaks=$(grep -rnE '#[[:space:]]*include[[:space:]]*["<](src/)?(platform|apps)/' "$root/src/handlers" \
  --include='*.h' --include='*.cc' || true)
if [[ -n "$leaks" ]]; then
  echo "error: handlers must not include platform or app headers (use the SDK, <bakery/...>):" >&2
  echo "$leaks" >&2
  exit 1
fi
