// Package etcdtest starts a throwaway embedded etcd for tests: one member in a
// temporary directory, on free loopback ports, without fsync and without logs, so that
// storage tests run against real etcd semantics (revisions, compaction, watch) in
// parallel across packages.
package etcdtest
