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
  librocksdb-dev libsodium-dev libssl-dev libcurl4-openssl-dev libfmt-dev libcli11-dev
  libvalijson-dev libhowardhinnant-date-dev libsimdjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev libclang-rt-14-dev
  # tcmalloc (minimal): the request path allocates small objects on several threads
  libgoogle-perftools-dev
  # test peers and benchmark tools
  python3 python3-prometheus-client curl wrk nginx-light
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
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # nginx-light is a benchmark baseline only: never leave Debian's default site running.
  if command -v systemctl >/dev/null 2>&1; then
    "${sudo_cmd[@]}" systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
  "${sudo_cmd[@]}" service nginx stop >/dev/null 2>&1 || true
fi

# npm test peers: none yet for the foundation; later issues add dynalite, s3rver and the AWS SDK
# to package.json, and this installs them into ./node_modules.
if [[ -f package.json ]] && command -v npm >/dev/null 2>&1; then
  if [[ ! -d node_modules ]] || [[ package.json -nt node_modules ]]; then
    npm install --silent --no-audit --no-fund >/dev/null
    touch node_modules
  fi
fi
