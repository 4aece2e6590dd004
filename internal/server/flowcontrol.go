package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/controllers/flowcontrolbootstrap"
	"github.com/kapi-dev/kapi/internal/flowcontrol"
	"github.com/kapi-dev/kapi/internal/registry"
)

// Upstream's defaults of --max-requests-inflight and --max-mutating-requests-inflight.
const (
	DefaultMaxRequestsInflight         = 400
	DefaultMaxMutatingRequestsInflight = 200
)

// FlowControlOptions choose between API Priority and Fairness and the plain
// max-in-flight limit, and size them.
type FlowControlOptions struct {
	// PriorityAndFairnessDisabled is --enable-priority-and-fairness=false (the zero
	// value keeps APF on, as upstream's default).
	PriorityAndFairnessDisabled bool
	// MaxRequestsInflight and MaxMutatingRequestsInflight: 0 means upstream's
	// default, a negative value no limit (the flag's 0).
	MaxRequestsInflight         int
	MaxMutatingRequestsInflight int
	// FlowControlBorrowingInterval is how often APF redistributes seats; 0 is
	// upstream's 10s (tests shorten it).
	FlowControlBorrowingInterval time.Duration
}

// inflightLimits returns the read-only and mutating limits, 0 meaning none.
func (o *FlowControlOptions) inflightLimits() (readOnly, mutating int) {
	pick := func(v, def int) int {
		switch {
		case v == 0:
			return def
		case v < 0:
			return 0
		}
		return v
	}
	return pick(o.MaxRequestsInflight, DefaultMaxRequestsInflight), pick(o.MaxMutatingRequestsInflight, DefaultMaxMutatingRequestsInflight)
}

// completeFlowControl rejects what kube-apiserver rejects: APF needs seats to share.
func (o *FlowControlOptions) completeFlowControl() error {
	if readOnly, mutating := o.inflightLimits(); !o.PriorityAndFairnessDisabled && readOnly+mutating <= 0 {
		return fmt.Errorf("--max-requests-inflight + --max-mutating-requests-inflight must be positive with API Priority and Fairness")
	}
	return nil
}

// withFlowControl is the chain's flow-control filter: APF, or max-in-flight when
// APF is off. It creates the APF controller that Run starts.
func (s *Server) withFlowControl(h http.Handler) http.Handler {
	readOnly, mutating := s.cfg.inflightLimits()
	if s.cfg.PriorityAndFairnessDisabled {
		return flowcontrol.WithMaxInFlightLimit(h, readOnly, mutating, s.terminations())
	}
	s.flowControl = flowcontrol.New(flowcontrol.Config{
		ServerConcurrencyLimit: readOnly + mutating,
		FlowSchemas:            s.stores[flowcontrolv1.SchemeGroupVersion.WithResource("flowschemas")],
		PriorityLevels:         s.stores[flowcontrolv1.SchemeGroupVersion.WithResource("prioritylevelconfigurations")],
		Metrics:                flowcontrol.NewMetrics(s.observability().Registry()),
		BorrowingInterval:      s.cfg.FlowControlBorrowingInterval,
	})
	return flowcontrol.WithPriorityAndFairness(h, s.flowControl, s.terminations())
}

// startFlowControl writes the bootstrap configuration and starts following it; the
// server is not ready before the configuration is loaded.
func (s *Server) startFlowControl(ctx, bgCtx context.Context) error {
	if s.flowControl == nil {
		return nil
	}
	stores := func(gvr schema.GroupVersionResource) *registry.Store { return s.stores[gvr] }
	if err := flowcontrolbootstrap.Reconcile(ctx, stores); err != nil {
		return fmt.Errorf("API Priority and Fairness bootstrap configuration: %w", err)
	}
	go flowcontrolbootstrap.Run(bgCtx, stores)
	s.flowControl.Run(bgCtx)
	syncCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := s.flowControl.WaitForSync(syncCtx); err != nil {
		return fmt.Errorf("waiting for the API Priority and Fairness configuration: %w", err)
	}
	return nil
}
