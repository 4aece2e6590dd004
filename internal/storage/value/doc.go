// Package value holds encryption at rest: the Transformer that etcd3 applies to every
// value after encoding and before decoding, and the composition rules kube-apiserver
// uses (a prefix per provider and key, the first one writes, the matching one reads,
// a read by any other is stale). Providers live in subpackages: aes (aesgcm, aescbc),
// secretbox and kmsv2; encryptionconfig builds them from an EncryptionConfiguration
// file and reloads it; etcdview decrypts for readers of raw etcd values such as the
// watch cache. Stored bytes are byte-compatible with kube-apiserver's, so either
// server reads an etcd the other encrypted.
package value
