package main

import (
	"github.com/spf13/pflag"

	"github.com/kapi-dev/kapi/internal/audit"
	"github.com/kapi-dev/kapi/internal/server"
)

// addAuditFlags registers kube-apiserver's --audit-* flags with upstream's defaults.
func addAuditFlags(f *pflag.FlagSet, o *server.AuditOptions) {
	f.StringVar(&o.AuditPolicyFile, "audit-policy-file", "", "path to the file that defines the audit policy configuration")
	f.StringVar(&o.AuditLogPath, "audit-log-path", "", "if set, all requests coming to the apiserver will be logged to this file; '-' means standard out")
	f.IntVar(&o.AuditLogMaxAge, "audit-log-maxage", 366, "the maximum number of days to retain old audit log files based on the timestamp encoded in their filename; 0 keeps them")
	f.IntVar(&o.AuditLogMaxBackup, "audit-log-maxbackup", 100, "the maximum number of old audit log files to retain; 0 keeps them all")
	f.IntVar(&o.AuditLogMaxSize, "audit-log-maxsize", 100, "the maximum size in megabytes of the audit log file before it gets rotated; 0 disables rotation")
	f.BoolVar(&o.AuditLogCompress, "audit-log-compress", false, "if set, the rotated log files will be compressed using gzip")
	f.StringVar(&o.AuditLogFormat, "audit-log-format", audit.FormatJSON, "format of saved audits: \"legacy\" (1-line text per event) or \"json\" (structured)")
	f.StringVar(&o.AuditLogVersion, "audit-log-version", audit.PolicyGroupVersion, "API group and version used for serializing audit events written to log")
	f.StringVar(&o.AuditWebhookConfigFile, "audit-webhook-config-file", "", "path to a kubeconfig formatted file that defines the audit webhook configuration")
	f.DurationVar(&o.AuditWebhookInitialBackoff, "audit-webhook-initial-backoff", audit.DefaultWebhookInitialBackoff, "the amount of time to wait before retrying the first failed request")
	f.DurationVar(&o.AuditWebhookInitialBackoff, "audit-webhook-batch-initial-backoff", audit.DefaultWebhookInitialBackoff, "the amount of time to wait before retrying the first failed request")
	_ = f.MarkDeprecated("audit-webhook-batch-initial-backoff", "Deprecated, use --audit-webhook-initial-backoff instead.")
	f.StringVar(&o.AuditWebhookVersion, "audit-webhook-version", audit.PolicyGroupVersion, "API group and version used for serializing audit events written to webhook")
	o.AuditLogBatch = server.DefaultAuditLogBatch()
	o.AuditWebhookBatch = server.DefaultAuditWebhookBatch()
	addAuditBatchFlags(f, "log", audit.ModeBlocking, &o.AuditLogMode, &o.AuditLogBatch)
	addAuditBatchFlags(f, "webhook", audit.ModeBatch, &o.AuditWebhookMode, &o.AuditWebhookBatch)
}

// addAuditBatchFlags registers --audit-<plugin>-mode and --audit-<plugin>-batch-*.
func addAuditBatchFlags(f *pflag.FlagSet, plugin, mode string, m *string, b *audit.BatchConfig) {
	f.StringVar(m, "audit-"+plugin+"-mode", mode, "strategy for sending audit events: blocking sends each before the request goes on, blocking-strict also fails the request when the RequestReceived event cannot be stored, batch buffers and sends asynchronously; known modes are batch,blocking,blocking-strict")
	f.IntVar(&b.BufferSize, "audit-"+plugin+"-batch-buffer-size", b.BufferSize, "the size of the buffer to store events before batching and writing; only used in batch mode")
	f.IntVar(&b.MaxBatchSize, "audit-"+plugin+"-batch-max-size", b.MaxBatchSize, "the maximum size of a batch; only used in batch mode")
	f.DurationVar(&b.MaxBatchWait, "audit-"+plugin+"-batch-max-wait", b.MaxBatchWait, "the amount of time to wait before force writing the batch that hadn't reached the max size; only used in batch mode")
	f.BoolVar(&b.ThrottleEnable, "audit-"+plugin+"-batch-throttle-enable", b.ThrottleEnable, "whether batching throttling is enabled; only used in batch mode")
	f.Float32Var(&b.ThrottleQPS, "audit-"+plugin+"-batch-throttle-qps", b.ThrottleQPS, "maximum average number of batches per second; only used in batch mode")
	f.IntVar(&b.ThrottleBurst, "audit-"+plugin+"-batch-throttle-burst", b.ThrottleBurst, "maximum number of requests sent at the same moment if ThrottleQPS was not utilized before; only used in batch mode")
}
