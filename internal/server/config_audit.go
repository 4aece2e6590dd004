package server

import (
	"time"

	"github.com/kapi-dev/kapi/internal/audit"
)

// AuditOptions are kube-apiserver's --audit-* flags. Auditing is on when
// AuditPolicyFile and a backend (AuditLogPath or AuditWebhookConfigFile) are set;
// zero batch settings mean upstream's defaults.
type AuditOptions struct {
	// AuditPolicyFile is the audit.k8s.io/v1 Policy (--audit-policy-file).
	AuditPolicyFile string

	// AuditLogPath is the log backend's file, "-" for standard output.
	AuditLogPath string
	// AuditLogMaxAge, AuditLogMaxBackup and AuditLogMaxSize (megabytes) rotate the
	// file; a zero AuditLogMaxSize never rotates.
	AuditLogMaxAge    int
	AuditLogMaxBackup int
	AuditLogMaxSize   int
	AuditLogCompress  bool
	// AuditLogFormat is "json" (default) or "legacy".
	AuditLogFormat string
	// AuditLogMode is batch, blocking (default) or blocking-strict.
	AuditLogMode  string
	AuditLogBatch audit.BatchConfig
	// AuditLogVersion must be audit.k8s.io/v1 (the only version kapi writes).
	AuditLogVersion string

	// AuditWebhookConfigFile is the kubeconfig of the webhook backend.
	AuditWebhookConfigFile string
	// AuditWebhookInitialBackoff is the wait before the first retry (default 10s).
	AuditWebhookInitialBackoff time.Duration
	// AuditWebhookMode is batch (default), blocking or blocking-strict.
	AuditWebhookMode    string
	AuditWebhookBatch   audit.BatchConfig
	AuditWebhookVersion string
}

// Upstream's batching defaults.
const (
	defaultAuditBatchBufferSize    = 10000
	defaultAuditWebhookBatchSize   = 400
	defaultAuditWebhookBatchWait   = 30 * time.Second
	defaultAuditWebhookThrottleQPS = 10
	defaultAuditWebhookBurst       = 15
)

// DefaultAuditLogBatch is --audit-log-batch-*'s defaults: the log file gains nothing
// from batches or concurrent writers.
func DefaultAuditLogBatch() audit.BatchConfig {
	return audit.BatchConfig{BufferSize: defaultAuditBatchBufferSize, MaxBatchSize: 1}
}

// DefaultAuditWebhookBatch is --audit-webhook-batch-*'s defaults.
func DefaultAuditWebhookBatch() audit.BatchConfig {
	return audit.BatchConfig{BufferSize: defaultAuditBatchBufferSize, MaxBatchSize: defaultAuditWebhookBatchSize,
		MaxBatchWait: defaultAuditWebhookBatchWait, ThrottleEnable: true, ThrottleQPS: defaultAuditWebhookThrottleQPS,
		ThrottleBurst: defaultAuditWebhookBurst, AsyncDelegate: true}
}
