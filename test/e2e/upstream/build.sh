#!/usr/bin/env bash
# build.sh DIR [COMMAND...]: builds upstream's kube-controller-manager,
# kube-scheduler and kubemark (a kubelet over a fake container runtime) v1.37.2
# into DIR, in a throw-away module outside kapi's (kapi never imports
# k8s.io/kubernetes; these are peers its end-to-end tests run against, as a
# cluster would). TestUpstreamControlPlane runs them when $KAPI_UPSTREAM_BIN is DIR.
# Named COMMANDs build those instead: kube-apiserver and etcd are the reference
# server that test/load/beside-upstream.sh measures kapi beside.
set -euo pipefail
out=$(cd "$1" && pwd)
shift
commands=("$@")
[ ${#commands[@]} -gt 0 ] || commands=(kube-controller-manager kube-scheduler kubemark)
packages=()
etcd=
for c in "${commands[@]}"; do
	case $c in
	etcd) etcd=go.etcd.io/etcd/server/v3 ;; # the etcd server's own main package
	kube-apiserver | kube-controller-manager | kube-scheduler | kubemark) packages+=("k8s.io/kubernetes/cmd/$c") ;;
	*)
		echo "build.sh: unknown command $c" >&2
		exit 2
		;;
	esac
done
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
{
	echo "//go:build tools"
	echo
	echo "package peers"
	echo
	echo "import ("
	printf '\t_ "%s"\n' "${packages[@]}" $etcd
	echo ")"
} > peers.go
GOFLAGS=-mod=mod go mod tidy
[ ${#packages[@]} -eq 0 ] || go build -o "$out/" "${packages[@]}"
[ -z "$etcd" ] || go build -o "$out/etcd" "$etcd"
