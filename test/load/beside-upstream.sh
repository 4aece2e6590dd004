#!/usr/bin/env bash
# beside-upstream.sh UPSTREAM_DIR [RUNS [KAPI_LOAD_FLAG...]]: measures upstream's
# kube-apiserver and kapi with the same load command (cmd/kapi-load) on this
# machine, one after the other, RUNS times (1 unless given), so that their figures
# can be compared: these machines' speed moves from hour to hour, a reference
# figure measured another day cannot be.
#
# UPSTREAM_DIR holds kube-apiserver and etcd v1.37.2's own builds:
#   test/e2e/upstream/build.sh UPSTREAM_DIR kube-apiserver etcd
# Each run starts both on empty data: the reference is kube-apiserver over its own
# etcd process (plain HTTP on the loopback, etcd's defaults), with the certificates
# kapi generates, measured as a process of its own (its memory is the apiserver's
# alone, as upstream's figures are usually quoted); kapi is started by the load
# command (--start-kapi), embedded etcd included. Only one of the two runs at a
# time. KAPI_LOAD_FLAGs go to both runs (--only configmaps,watch; --scale 0.1).
#
# Output: a "kube-apiserver <line>" or "kapi <line>" per figure as the runs go,
# then one table row per figure: the reference's values, then kapi's.
set -euo pipefail
up=$(cd "$1" && pwd)
shift
runs=${1:-1}
shift || true
root=$(cd "$(dirname "$0")/../.." && pwd)
for bin in kube-apiserver etcd; do
	[ -x "$up/$bin" ] || {
		echo "beside-upstream.sh: $up/$bin missing (test/e2e/upstream/build.sh $up kube-apiserver etcd)" >&2
		exit 2
	}
done
# Ports of the reference; kapi's are chosen by the load command.
etcd_port=${ETCD_PORT:-23791}
peer_port=${ETCD_PEER_PORT:-23801}
port=${REFERENCE_PORT:-16443}

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
log() { echo "# $*" >&2; }

(cd "$root" && go build -o "$work/kapi" ./cmd/kapi && go build -o "$work/kapi-load" ./cmd/kapi-load)

# The reference uses kapi's generated CA, serving certificate, service-account keys
# and admin kubeconfig.
log "generating certificates with kapi"
"$work/kapi" --data-dir "$work/kapi-pki" --secure-port "$port" >"$work/kapi-pki.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do
	[ -s "$work/kapi-pki/admin.kubeconfig" ] && break
	sleep 0.1
done
kill "${pids[-1]}" && wait "${pids[-1]}" || true
pki=$work/kapi-pki/pki
sed "s#server: https://.*#server: https://127.0.0.1:$port#" "$work/kapi-pki/admin.kubeconfig" >"$work/reference.kubeconfig"

# until_ok URL PID: waits until URL answers ok, failing if process PID ends or a
# minute passes.
until_ok() {
	for _ in $(seq 3000); do
		curl -sk --max-time 1 "$1" 2>/dev/null | grep -q '^ok\|"health":"true"' && return 0
		kill -0 "$2" 2>/dev/null || {
			echo "beside-upstream.sh: process $2 ended; see $work" >&2
			return 1
		}
		sleep 0.02
	done
	echo "beside-upstream.sh: $1 not ok after a minute" >&2
	return 1
}

# stop PID: ends the process, killing it if it has not ended 30 s after SIGTERM.
stop() {
	kill "$1" 2>/dev/null || return 0
	for _ in $(seq 300); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

results=$work/results
for run in $(seq "$runs"); do
	log "run $run: kube-apiserver"
	rm -rf "$work/etcd"
	"$up/etcd" --data-dir "$work/etcd" --name default \
		--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "default=http://127.0.0.1:$peer_port" >"$work/etcd.log" 2>&1 &
	etcd_pid=$!
	pids+=("$etcd_pid")
	until_ok "http://127.0.0.1:$etcd_port/health" "$etcd_pid"
	start=$(date +%s%N)
	"$up/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" \
		--bind-address=127.0.0.1 --secure-port="$port" \
		--tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
		--client-ca-file="$pki/ca.crt" --authorization-mode=Node,RBAC \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
		--service-cluster-ip-range=10.96.0.0/12 >"$work/kube-apiserver.log" 2>&1 &
	apiserver_pid=$!
	pids+=("$apiserver_pid")
	until_ok "https://127.0.0.1:$port/readyz" "$apiserver_pid"
	{
		# Start to /readyz, with its etcd already running (kapi's includes etcd's).
		awk -v ns=$(($(date +%s%N) - start)) 'BEGIN {printf "start_to_ready_seconds %.3f s\n", ns / 1e9}'
		"$work/kapi-load" --kubeconfig "$work/reference.kubeconfig" --pid "$apiserver_pid" "$@"
		echo "etcd_rss_after_run_mib $(rss_mib "$etcd_pid") MiB"
	} | sed 's/^/kube-apiserver /' | tee -a "$results"
	# The apiserver first: its shutdown takes its address out of the kubernetes
	# Endpoints, through etcd.
	stop "$apiserver_pid"
	stop "$etcd_pid"

	log "run $run: kapi"
	"$work/kapi-load" --start-kapi "$work/kapi" "$@" | sed 's/^/kapi /' | tee -a "$results"
done

echo
awk '
	{ key = $2; if (!(key in unit)) { order[++n] = key; unit[key] = $4 }
	  v[$1, key] = v[$1, key] (v[$1, key] == "" ? "" : " / ") $3 }
	END {
		printf "%-40s %-28s %-28s %s\n", "figure", "kube-apiserver", "kapi", "unit"
		for (i = 1; i <= n; i++) { k = order[i]
			printf "%-40s %-28s %-28s %s\n", k, v["kube-apiserver", k], v["kapi", k], unit[k] }
	}' "$results"
