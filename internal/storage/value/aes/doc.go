// Package aes holds the AES providers of encryption at rest with kube-apiserver's
// stored layouts: aesgcm (12-byte random nonce, then ciphertext and tag, the etcd key
// as additional data), aescbc (16-byte random IV, then PKCS#7-padded ciphertext) and the
// HKDF extended-nonce AES-GCM that KMS v2 uses with a seed as its DEK source.
package aes
