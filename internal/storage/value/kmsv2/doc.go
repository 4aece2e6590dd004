// Package kmsv2 is the KMS v2 provider of encryption at rest, speaking the
// v2.KeyManagementService gRPC API (Status, Encrypt, Decrypt) to a plugin on a unix
// socket. As in kube-apiserver, values are encrypted locally with a data encryption
// key (DEK): a 32-byte seed from which every write derives a fresh AES-256-GCM key
// (HKDF-SHA256 over a random 32-byte info). The plugin encrypts only the seed; the
// encrypted seed, the plugin's key id and annotations travel with every value in a
// protobuf EncryptedObject. The seed is rotated when the plugin's Status reports a
// new key id, and it may encrypt only for 3 minutes after the last healthy Status.
// Values written by older servers with a plain AES-GCM DEK still decrypt.
package kmsv2
