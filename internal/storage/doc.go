// Package storage declares the storage Interface that the registry uses, its options,
// selection predicates and errors. Implementations: etcd3 (the source of truth) and
// cacher (a watch cache in front of etcd3). It imports nothing internal above it.
package storage
