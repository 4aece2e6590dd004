// Package pki creates, on first start, the certificates and keys a lone kapi needs to
// serve TLS and to be reached by an administrator, and reuses them on every restart so
// that kubeconfigs already handed out keep working.
//
// Ensure lays out, in one directory (0700): a self-signed ECDSA P-256 CA (ca.crt,
// ca.key), the API server's serving certificate (apiserver.crt/.key) carrying every
// requested SAN, an admin client certificate (admin.crt/.key) whose subject maps to a
// user and groups the way kube-apiserver's x509 authenticator reads them (CN = user,
// O = groups), and an RSA service-account signing key pair (sa.key, sa.pub). Keys are
// written 0600, certificates 0644, every file atomically (temp file + rename).
//
// The CA is never replaced behind the operator's back: a CA certificate without its key,
// or one that fails to parse, is an error. Leaf certificates are cheap, so they are
// reissued from the same CA whenever they no longer fit the request: a missing SAN, a
// changed admin subject, fewer than 30 days left, or a key that does not match.
//
// WriteKubeconfig turns a Bundle into an admin kubeconfig with the CA and client
// credentials embedded, so the file works when copied to another machine.
package pki
