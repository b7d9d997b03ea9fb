# deps.sh — sourced by scripts/test and scripts/demo: make sure the Debian packages herd
# needs are installed. As root, missing ones are installed with apt-get; otherwise the
# missing packages are named and the script stops. redis-server, postgresql and their
# client libraries are for the tests against real servers (tests/real, scripts/services.sh);
# libclang-rt-14-dev carries libFuzzer and the sanitizer runtimes; python3 checks the
# rendered pages in tests/render.sh; spin is the second model checker that
# tests/spin_agree.sh compares with herd check.
herd_packages=(build-essential cmake pkg-config clang libclang-rt-14-dev python3 libyaml-dev libxxhash-dev
               libcriterion-dev libfiu-dev fiu-utils lcov graphviz libxml2-utils chromium
               redis-server libhiredis-dev postgresql libpq-dev spin)

herd_missing_packages() {
    local p missing=()
    for p in "${herd_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    echo "${missing[@]}"
}

herd_ensure_deps() {
    local missing
    missing=$(herd_missing_packages)
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "herd needs these Debian packages: $missing" >&2
        echo "install them with: sudo apt-get install -y $missing" >&2
        exit 1
    fi
    echo "installing: $missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2
}
