// Package storagetest is the one behaviour suite every storage.Interface
// implementation must pass (etcd3 and the cacher), so that the two stay
// interchangeable. It stores core/v1 Pods encoded as protobuf under Prefix; callers
// build their store with the fixtures exported here and a fresh etcd per test.
package storagetest
