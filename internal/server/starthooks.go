package server

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"
)

// Start-up stages by kube-apiserver v1.37's names. Its health endpoints list a check
// per post-start hook ("poststarthook/<name>", failing until the hook finished) and
// clients and conformance tests look for them by name. Each name below stands for
// the part of kapi's start that does the same job (Server.Run marks it finished),
// so /healthz, /livez and /readyz report kapi's start-up progress in upstream's
// terms. The order is upstream's: the extensions server's hooks, then the core
// API's, then the aggregator's.
const (
	hookAdmissionInitializer   = "start-apiserver-admission-initializer"
	hookGenericInformers       = "generic-apiserver-start-informers"
	hookFlowControlConsumer    = "priority-and-fairness-config-consumer"
	hookFlowControlFilter      = "priority-and-fairness-filter"
	hookMaxInFlightFilter      = "max-in-flight-filter"
	hookObjectCountTracker     = "storage-object-count-tracker-hook"
	hookCRDInformers           = "start-apiextensions-informers"
	hookCRDControllers         = "start-apiextensions-controllers"
	hookCRDInformerSynced      = "crd-informer-synced"
	hookSystemNamespaces       = "start-system-namespaces-controller"
	hookAuthenticationInfo     = "start-cluster-authentication-info-controller"
	hookIdentityLease          = "start-kube-apiserver-identity-lease-controller"
	hookIdentityLeaseGC        = "start-kube-apiserver-identity-lease-garbage-collector"
	hookStorageReadiness       = "storage-readiness"
	hookLegacyTokenTracking    = "start-legacy-token-tracking-controller"
	hookServiceIPRepair        = "start-service-ip-repair-controllers"
	hookRBACBootstrap          = "rbac/bootstrap-roles"
	hookPriorityClasses        = "scheduling/bootstrap-system-priority-classes"
	hookFlowControlProducer    = "priority-and-fairness-config-producer"
	hookBootstrapController    = "bootstrap-controller"
	hookServiceCIDR            = "start-kubernetes-service-cidr-controller"
	hookProxyClientCert        = "aggregator-reload-proxy-client-cert"
	hookAggregatorInformers    = "start-kube-aggregator-informers"
	hookLocalAvailability      = "apiservice-status-local-available-controller"
	hookRemoteAvailability     = "apiservice-status-remote-available-controller"
	hookAPIServiceRegistration = "apiservice-registration-controller"
	hookAPIServiceDiscovery    = "apiservice-discovery-controller"
	hookAutoregistration       = "kube-apiserver-autoregistration"
	hookAPIServiceOpenAPI      = "apiservice-openapi-controller"
	hookAPIServiceOpenAPIV3    = "apiservice-openapiv3-controller"
	// autoregisterCompletion is not a hook but a check of its own, listed among
	// them: every local APIService is registered.
	autoregisterCompletion = "autoregister-completion"
)

// startHookOrder lists the stages in upstream's order; flowControl says whether API
// Priority and Fairness is on (with it off upstream has the max-in-flight filter's
// hook instead of the three of APF).
func startHookOrder(flowControl bool) []string {
	filters, producer := []string{hookMaxInFlightFilter}, []string(nil)
	if flowControl {
		filters = []string{hookFlowControlConsumer, hookFlowControlFilter, hookObjectCountTracker}
		producer = []string{hookFlowControlProducer}
	}
	return slices.Concat(
		[]string{hookAdmissionInitializer, hookGenericInformers},
		filters,
		[]string{hookCRDInformers, hookCRDControllers, hookCRDInformerSynced,
			hookSystemNamespaces, hookAuthenticationInfo, hookIdentityLease, hookIdentityLeaseGC,
			hookStorageReadiness, hookLegacyTokenTracking, hookServiceIPRepair, hookRBACBootstrap,
			hookPriorityClasses},
		producer,
		[]string{hookBootstrapController, hookServiceCIDR, hookProxyClientCert,
			hookAggregatorInformers, hookLocalAvailability, hookRemoteAvailability,
			hookAPIServiceRegistration, hookAPIServiceDiscovery, hookAutoregistration,
			autoregisterCompletion, hookAPIServiceOpenAPI, hookAPIServiceOpenAPIV3})
}

// startHooks tracks which start-up stages finished.
type startHooks struct {
	order []string
	done  map[string]*atomic.Bool
}

func newStartHooks(flowControl bool) *startHooks {
	h := &startHooks{order: startHookOrder(flowControl), done: map[string]*atomic.Bool{}}
	for _, name := range h.order {
		h.done[name] = new(atomic.Bool)
	}
	return h
}

// finish marks stages finished; a stage not in the order (APF's with APF off) is
// ignored.
func (h *startHooks) finish(names ...string) {
	for _, name := range names {
		if flag := h.done[name]; flag != nil {
			flag.Store(true)
		}
	}
}

// errNotFinished is upstream's reason for a hook still running.
var errNotFinished = errors.New("not finished")

// checks returns a health check per stage, in order. Within grace after started
// they pass whatever the stages say (/livez with --livez-grace-period).
func (h *startHooks) checks(started time.Time, grace time.Duration) []healthCheck {
	out := make([]healthCheck, 0, len(h.order))
	for _, name := range h.order {
		check := delayedCheck(flagCheck(h.done[name], errNotFinished), started, grace)
		checkName := "poststarthook/" + name
		if name == autoregisterCompletion {
			checkName = name
		}
		out = append(out, healthCheck{checkName, check})
	}
	return out
}

// awaitStorageReadiness finishes storage-readiness once every built-in resource's
// watch cache holds its first list, or once timeout (--storage-initialization-timeout)
// passed, as upstream's hook gives up waiting: a cache that cannot load (objects it
// cannot decrypt) then delays readiness by that long, not for ever.
func (s *Server) awaitStorageReadiness(ctx context.Context, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !s.cachesReady() {
		if time.Now().After(deadline) {
			slog.Warn("storage readiness: watch caches not initialized before --storage-initialization-timeout; ready anyway", "timeout", timeout)
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
	s.hooks.finish(hookStorageReadiness)
}

// cachesReady reports whether every built-in resource's watch cache holds its first
// list.
func (s *Server) cachesReady() bool {
	for _, c := range s.caches {
		if !c.Ready() {
			return false
		}
	}
	return true
}
