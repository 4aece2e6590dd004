// Package etcd3 implements storage.Interface on etcd v3: one key per object, values
// encoded by the given codec (protobuf in the k8s\x00 envelope for built-in types),
// resourceVersion = the etcd ModRevision, writes guarded by transactions on
// ModRevision so that a write is acknowledged only after etcd committed it.
package etcd3
