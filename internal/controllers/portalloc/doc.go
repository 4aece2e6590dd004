// Package portalloc allocates Service node ports the way kube-apiserver v1.37 does:
// one RangeAllocation object (core/v1) at <prefix>/ranges/servicenodeports holds the
// range ("30000-32767") and a bitmap of the taken ports, the bit of port p being
// p-base of a big-endian integer. Every allocation rewrites that object under etcd's
// optimistic concurrency, so two servers (kapi or kube-apiserver) sharing the etcd
// never hand out one port twice; Repair rebuilds the bitmap from the Services.
package portalloc
