#!/usr/bin/env bash
# build.sh DIR: builds upstream's kube-controller-manager, kube-scheduler and
# kubemark (a kubelet over a fake container runtime) v1.37.2
# into DIR, in a throw-away module outside kapi's (kapi never imports
# k8s.io/kubernetes; these are peers its end-to-end tests run against, as a
# cluster would). TestUpstreamControlPlane runs them when $KAPI_UPSTREAM_BIN is DIR.
set -euo pipefail
out=$(cd "$1" && pwd)
version=v1.37.2
staging=v0.37.2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod download -json "k8s.io/kubernetes@$version" > dl.json
dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' dl.json)
{
	echo "module kapi-upstream-peers"
	echo
	echo "go 1.26"
	echo
	echo "require k8s.io/kubernetes $version"
	echo
	echo "replace ("
	# k8s.io/kubernetes points its staging modules at its own tree; take their
	# published versions instead.
	sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 '"$staging"'#p' "$dir/go.mod"
	echo ")"
} > go.mod
cat > peers.go <<'GO'
//go:build tools

package peers

import (
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubemark"
)
GO
GOFLAGS=-mod=mod go mod tidy
go build -o "$out/" k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubemark
