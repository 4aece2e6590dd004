// Package bootstraptoken authenticates bootstrap tokens (--enable-bootstrap-token-auth):
// bearer tokens "<id>.<secret>" backed by kube-system Secrets named
// bootstrap-token-<id> of type bootstrap.kubernetes.io/token, as kubeadm creates
// them for joining nodes.
package bootstraptoken
