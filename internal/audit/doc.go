// Package audit records what happens to every request as audit.k8s.io/v1 Events, the
// way kube-apiserver's auditing does: a Policy (--audit-policy-file) decides each
// request's level and omitted stages, and Backends (the log file of --audit-log-path,
// the webhook of --audit-webhook-config-file) receive the events, directly (blocking
// modes) or through a Buffered batcher (batch mode).
//
// The HTTP side (building the event from a request, capturing bodies) lives in
// internal/filters/audit.go; this package holds no per-request state.
package audit
