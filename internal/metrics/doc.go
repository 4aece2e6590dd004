// Package metrics holds kapi's Prometheus metrics with kube-apiserver v1.37's names,
// types, labels and buckets: request counters and latencies, in-flight and
// long-running gauges, watch events, etcd request metrics (through a storage.Interface
// wrapper), storage list costs, watch-cache object and watcher counts, and the
// PodSecurity admission plugin's pod_security_* series. Everything
// registers into one Registry owned by the server; there are no globals.
package metrics
