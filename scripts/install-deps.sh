#!/usr/bin/env bash
# Installs everything the build, the tests and the benchmarks need, and nothing more.
# Idempotent and quiet: when every package is present it prints nothing and touches nothing.
#   Debian packages through apt-get (with `apt-get update` first when something is missing);
#   npm test peers into node_modules/ of the repository (ignored by git).
set -euo pipefail

cd "$(dirname "$0")/.."

readonly DEBIAN_PACKAGES=(
  # toolchain
  cmake ninja-build ccache g++ clang clang-format clang-tidy pkg-config make
  # libraries (see ARCHITECTURE.md, "Dependencies")
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  librocksdb-dev libsodium-dev libicu-dev libssl-dev libcurl4-openssl-dev libfmt-dev libcli11-dev
  libvalijson-dev libhowardhinnant-date-dev tzdata libsimdjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev libclang-rt-14-dev
  # tcmalloc (minimal): the request path allocates small objects on several threads
  libgoogle-perftools-dev
  # test peers and benchmark tools
  python3 python3-prometheus-client python3-boto3 awscli curl wrk nginx-light
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  # Packages such as nginx-light start their service on install (listening on all
  # interfaces); nothing installed here may run as a service, so forbid it for this install.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
    "${sudo_cmd[@]}" chmod +x "$policy"
    created_policy=1
  fi
  log=$(mktemp)
  if ! { "${sudo_cmd[@]}" apt-get update -qq &&
         "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    if ((created_policy)); then "${sudo_cmd[@]}" rm -f "$policy"; fi
    exit 1
  fi
  rm -f "$log"
  if ((created_policy)); then "${sudo_cmd[@]}" rm -f "$policy"; fi
  # Belt and braces where a service manager ignored the policy.
  "${sudo_cmd[@]}" service nginx stop >/dev/null 2>&1 || true
fi

# npm test peers (package.json: dynalite, the AWS SDK for JavaScript) into ./node_modules.
if [[ -f package.json ]] && command -v npm >/dev/null 2>&1; then
  if [[ ! -d node_modules ]] || [[ package.json -nt node_modules ]]; then
    npm install --silent --no-audit --no-fund >/dev/null
    touch node_modules
  fi
fi
