# deps.sh — sourced by scripts/test and scripts/demo: make sure the Debian packages herd
# needs are installed. As root, missing ones are installed with apt-get; otherwise the
# missing packages are named and the script stops. redis-server, postgresql and their
# client libraries are for the tests against real servers (tests/real, scripts/services.sh);
# libwebsockets-dev and haproxy are the live driver's (docs/live.md);
# libclang-rt-14-dev carries libFuzzer and the sanitizer runtimes; python3 checks the
# rendered pages in tests/render.sh; spin is the second model checker that
# tests/spin_agree.sh compares with herd check; nodejs and npm install the report's charting
# library and the browser test's driver (herd_ensure_npm below); libjansson-dev reads herd
# sweep's journal back, Open MPI (openmpi-bin, libopenmpi-dev) runs a sweep across ranks.
herd_packages=(build-essential cmake pkg-config clang libclang-rt-14-dev python3 libyaml-dev libxxhash-dev
               libcriterion-dev libfiu-dev fiu-utils lcov graphviz libxml2-utils chromium
               redis-server libhiredis-dev postgresql libpq-dev spin nodejs npm libjansson-dev
               openmpi-bin libopenmpi-dev libwebsockets-dev haproxy)

# Packages that count as present when their command is: a machine may carry Node.js from
# another source (NodeSource's nodejs bundles npm and conflicts with Debian's npm package,
# so asking apt for npm there fails with "held broken packages").
herd_package_command() {
    case "$1" in
        nodejs) echo node ;;
        npm) echo npm ;;
    esac
}

herd_missing_packages() {
    local p cmd missing=()
    for p in "${herd_packages[@]}"; do
        cmd=$(herd_package_command "$p")
        if [ -n "$cmd" ] && command -v "$cmd" >/dev/null; then continue; fi
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    echo "${missing[@]}"
}

herd_ensure_deps() {
    local missing
    missing=$(herd_missing_packages)
    if [ -z "$missing" ]; then
        herd_ensure_npm
        return 0
    fi
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
    herd_ensure_npm
}

# The npm packages, pinned, in third_party/node_modules (git-ignored): uPlot, the charting
# library `herd render` inlines into the report (render/uplot.c reads its dist/ files), and
# puppeteer-core, which drives the system chromium in tests/report_browser.sh and
# scripts/screenshots. Installed only when a pinned version is missing; no lock file
# beyond the exact versions, and npm's own scripts are not run.
herd_npm_packages=(uplot@1.6.32 puppeteer-core@24.10.0)
herd_npm_dir() { echo "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/third_party"; }

herd_ensure_npm() {
    local dir p name want have missing=()
    dir=$(herd_npm_dir)
    for p in "${herd_npm_packages[@]}"; do
        name=${p%@*}
        want=${p##*@}
        have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$dir/node_modules/$name/package.json" 2>/dev/null | head -1 || true)
        [ "$have" = "$want" ] || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v npm >/dev/null; then
        echo "herd needs npm (Debian package npm) to install: ${missing[*]}" >&2
        exit 1
    fi
    echo "installing into $dir: ${missing[*]}" >&2
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{"name":"herd-third-party","private":true}' >"$dir/package.json"
    (cd "$dir" && npm install --no-audit --no-fund --ignore-scripts --save-exact --loglevel=error "${missing[@]}" >&2)
}
