#!/usr/bin/env bash
# Builds the real control plane the end-to-end tests run (kube-apiserver, kube-controller-manager, kubectl, etcd)
# from the Go modules pinned in .ci/kube-tools/, into a cache outside the repo keyed by version, so only the first
# run pays for the build. Prints the binaries directory as the last line of stdout; progress goes to stderr.
# Another Kubernetes release: rebuild kubernetes/go.mod from that release's own go.mod (its require blocks, plus a
# replace of each k8s.io staging module by the matching v0.x.y, since upstream lists them as v0.0.0), then
# `go list -mod=mod -deps k8s.io/kubernetes/cmd/{kube-apiserver,kube-controller-manager,kubectl}` there to fill
# go.sum. The cache key is the pair of versions, so old binaries stay valid.
set -euo pipefail
cd "$(dirname "$0")/kube-tools"

kube_version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' kubernetes/go.mod)
etcd_version=$(awk '$1 == "require" && $2 == "go.etcd.io/etcd/server/v3" {print $3}' etcd/go.mod)
[[ -n $kube_version && -n $etcd_version ]] || { echo "kube-binaries: cannot read the pinned versions from .ci/kube-tools/*/go.mod" >&2; exit 1; }

cache=${PHASEGATE_KUBE_CACHE:-$HOME/.cache/phasegate/kube}
out=$cache/$kube_version-etcd$etcd_version
# etcd first: it is the smallest and the first one a control plane needs.
binaries=(etcd kube-apiserver kube-controller-manager kubectl)

log() { echo "kube-binaries: $*" >&2; }

missing=()
for b in "${binaries[@]}"; do [[ -x $out/$b ]] || missing+=("$b"); done
if [[ ${#missing[@]} -eq 0 ]]; then
  log "reusing $out (Kubernetes $kube_version, etcd $etcd_version)"
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { log "go is not installed; it is needed to build ${missing[*]}"; exit 1; }
log "building ${missing[*]} (Kubernetes $kube_version, etcd $etcd_version) with $(go version | cut -d' ' -f3) into $out"
log "with a cold Go build cache this compiles Kubernetes from source: about 25 minutes on 2 busy cores"
mkdir -p "$out"
# A binary lands under a temporary name first, so an interrupted build never leaves a truncated one that a later
# run would take for finished.
build() { # dir package name [extra ldflags]
  local started=$SECONDS
  log "go build $2"
  (cd "$1" && CGO_ENABLED=0 nice -n 10 go build -mod=readonly -trimpath -ldflags="-s -w ${4:-}" -o "$out/.$3.tmp" "$2")
  mv "$out/.$3.tmp" "$out/$3"
  log "built $3 in $((SECONDS - started))s"
}
# Upstream's release build stamps the version into these two packages (hack/lib/version.sh); without it the
# binaries report v0.0.0-master and kubectl warns about version skew.
minor=${kube_version#v1.}; minor=${minor%%.*}
stamp=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  stamp+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
started=$SECONDS
for b in "${missing[@]}"; do
  case $b in
    etcd) build etcd phasegate.dev/kube-tools/etcd etcd ;;
    *) build kubernetes "k8s.io/kubernetes/cmd/$b" "$b" "$stamp" ;;
  esac
done
log "done in $((SECONDS - started))s: $(cd "$out" && ls | tr '\n' ' ')"
echo "$out"
