package server

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/audit"
	"github.com/kapi-dev/kapi/internal/filters"
)

// auditRuntime is the running audit configuration: the filter's view and the
// backends Run shuts down.
type auditRuntime struct {
	filter  *filters.AuditConfig
	backend audit.Backend
	metrics audit.Metrics
}

// setupAudit reads the policy and starts the backends of --audit-*; without a policy
// or a backend nothing is audited, as upstream.
func (s *Server) setupAudit() error {
	o := s.cfg.AuditOptions
	if err := validateAuditOptions(&o); err != nil {
		return err
	}
	rt := &auditRuntime{}
	// The apiserver_audit_* counters are served with or without auditing, as upstream.
	if err := s.observability().Registry().Register(rt.metrics.Collector()); err != nil {
		return err
	}
	if o.AuditPolicyFile == "" || (o.AuditLogPath == "" && o.AuditWebhookConfigFile == "") {
		return nil
	}
	policy, err := audit.LoadPolicyFile(o.AuditPolicyFile)
	if err != nil {
		return err
	}
	var backends audit.Union
	if o.AuditLogPath != "" {
		w, err := audit.OpenLogFile(audit.LogFileOptions{Path: o.AuditLogPath, MaxAge: o.AuditLogMaxAge,
			MaxBackups: o.AuditLogMaxBackup, MaxSize: o.AuditLogMaxSize, Compress: o.AuditLogCompress})
		if err != nil {
			return err
		}
		log, err := audit.NewLogBackend(w, o.AuditLogFormat, &rt.metrics)
		if err != nil {
			return err
		}
		b, err := audit.WithMode(log, o.AuditLogMode, o.AuditLogBatch, &rt.metrics)
		if err != nil {
			return err
		}
		backends = append(backends, b)
	}
	if o.AuditWebhookConfigFile != "" {
		hook, err := audit.NewWebhook(o.AuditWebhookConfigFile, o.AuditWebhookInitialBackoff, &rt.metrics)
		if err != nil {
			backends.Shutdown()
			return err
		}
		b, err := audit.WithMode(hook, o.AuditWebhookMode, o.AuditWebhookBatch, &rt.metrics)
		if err != nil {
			backends.Shutdown()
			return err
		}
		backends = append(backends, b)
	}
	rt.backend = backends
	rt.filter = &filters.AuditConfig{Evaluator: audit.NewEvaluator(policy), Backend: backends,
		Metrics: &rt.metrics, ToJSON: protobufToJSON()}
	s.audit = rt
	return nil
}

// withAudit is the chain entry of the audit filter (a pass-through when auditing is off).
func (s *Server) withAudit(h http.Handler) http.Handler {
	if s.audit == nil {
		return h
	}
	return filters.WithAudit(h, s.audit.filter)
}

// stopAudit flushes the backends once the server stopped serving, so that no event
// of a finished request is lost on SIGTERM.
func (s *Server) stopAudit() {
	if s.audit != nil {
		slog.Info("graceful shutdown: flushing audit events")
		s.audit.backend.Shutdown()
	}
}

// AuditMetrics returns the apiserver_audit_* counts (zero without auditing), for the
// metrics endpoint.
func (s *Server) AuditMetrics() audit.Counts {
	if s.audit == nil {
		return audit.Counts{}
	}
	return s.audit.metrics.Snapshot()
}

func validateAuditOptions(o *AuditOptions) error {
	var errs []error
	if o.AuditLogFormat == "" {
		o.AuditLogFormat = audit.FormatJSON
	}
	if o.AuditLogMode == "" {
		o.AuditLogMode = audit.ModeBlocking
	}
	if o.AuditWebhookMode == "" {
		o.AuditWebhookMode = audit.ModeBatch
	}
	if o.AuditLogBatch == (audit.BatchConfig{}) {
		o.AuditLogBatch = DefaultAuditLogBatch()
	}
	if o.AuditWebhookBatch == (audit.BatchConfig{}) {
		o.AuditWebhookBatch = DefaultAuditWebhookBatch()
	}
	if o.AuditLogPath != "" {
		if o.AuditLogFormat != audit.FormatJSON && o.AuditLogFormat != audit.FormatLegacy {
			errs = append(errs, fmt.Errorf("invalid audit log format %s, allowed formats are %q", o.AuditLogFormat, "legacy,json"))
		}
		for _, v := range []struct {
			flag  string
			value int
		}{{"--audit-log-maxage", o.AuditLogMaxAge}, {"--audit-log-maxbackup", o.AuditLogMaxBackup}, {"--audit-log-maxsize", o.AuditLogMaxSize}} {
			if v.value < 0 {
				errs = append(errs, fmt.Errorf("%s %v can't be a negative number", v.flag, v.value))
			}
		}
		errs = append(errs, validateAuditBackend("log", o.AuditLogMode, o.AuditLogBatch, o.AuditLogVersion)...)
	}
	if o.AuditWebhookConfigFile != "" {
		errs = append(errs, validateAuditBackend("webhook", o.AuditWebhookMode, o.AuditWebhookBatch, o.AuditWebhookVersion)...)
	}
	return errors.Join(errs...)
}

func validateAuditBackend(plugin, mode string, batch audit.BatchConfig, version string) []error {
	var errs []error
	if version != "" && version != audit.PolicyGroupVersion {
		errs = append(errs, fmt.Errorf("invalid group version, allowed versions are %q", "["+audit.PolicyGroupVersion+"]"))
	}
	switch mode {
	case audit.ModeBatch:
		if batch.BufferSize <= 0 {
			errs = append(errs, fmt.Errorf("invalid audit batch %s buffer size %v, must be a positive number", plugin, batch.BufferSize))
		}
		if batch.MaxBatchSize <= 0 {
			errs = append(errs, fmt.Errorf("invalid audit batch %s max batch size %v, must be a positive number", plugin, batch.MaxBatchSize))
		}
		if batch.ThrottleEnable && batch.ThrottleQPS <= 0 {
			errs = append(errs, fmt.Errorf("invalid audit batch %s throttle QPS %v, must be a positive number", plugin, batch.ThrottleQPS))
		}
		if batch.ThrottleEnable && batch.ThrottleBurst <= 0 {
			errs = append(errs, fmt.Errorf("invalid audit batch %s throttle burst %v, must be a positive number", plugin, batch.ThrottleBurst))
		}
	case audit.ModeBlocking, audit.ModeBlockingStrict:
	default:
		errs = append(errs, fmt.Errorf("invalid audit %s mode %s, allowed modes are %q", plugin, mode, strings.Join(audit.AllowedModes, ",")))
	}
	return errs
}

// protobufToJSON converts protobuf bodies (clients that ask for protobuf get their
// objects and Status errors that way) to JSON for requestObject and responseObject.
func protobufToJSON() func(string, []byte) ([]byte, bool) {
	scheme := apis.NewScheme()
	pb := protobuf.NewSerializer(scheme, scheme)
	js := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{})
	return func(mediaType string, body []byte) ([]byte, bool) {
		if mediaType != runtime.ContentTypeProtobuf {
			return nil, false
		}
		obj, _, err := pb.Decode(body, nil, nil)
		if err != nil {
			return nil, false
		}
		var buf bytes.Buffer
		if err := js.Encode(obj, &buf); err != nil {
			return nil, false
		}
		return bytes.TrimSpace(buf.Bytes()), true
	}
}
