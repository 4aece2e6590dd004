// Package serviceaccount issues and verifies service-account tokens the way
// kube-apiserver does: JWTs signed with the --service-account-signing-key-file key,
// verified with the --service-account-key-file keys, carrying the private
// "kubernetes.io" claim that binds a token to its service account and, optionally, to
// a pod, secret or node that must still exist for the token to authenticate. Legacy
// secret-based tokens (issuer "kubernetes/serviceaccount") are verified too. It also
// renders the OpenID Connect discovery documents relying parties use to verify
// tokens themselves.
package serviceaccount
