package validation

import (
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Length limits of event fields, as upstream.
const (
	reportingInstanceLimit = 128
	actionLimit            = 128
	reasonLimit            = 128
	noteLimit              = 1024
)

// eventView is the subset of an event both API versions validate. Field paths use
// the internal (core/v1) names, as upstream reports them for both versions.
type eventView struct {
	meta                         *metav1.ObjectMeta
	involvedNamespace            string
	eventTime                    time.Time
	reportingController          string
	reportingInstance            string
	action, reason, message, typ string
}

// legacyEvent holds the checks core/v1 events get: the involved object must live
// in the event's namespace, and events with eventTime need reporting fields.
// controllerField is reportingComponent for core/v1 and reportingController else.
func legacyEvent(e eventView, controllerField string) field.ErrorList {
	var allErrs field.ErrorList
	nsPath := field.NewPath("involvedObject", "namespace")
	ns := e.meta.Namespace
	if e.eventTime.IsZero() {
		if e.involvedNamespace == "" {
			if ns != metav1.NamespaceNone && ns != metav1.NamespaceDefault {
				allErrs = append(allErrs, field.Invalid(nsPath, e.involvedNamespace, "does not match event.namespace"))
			}
		} else if ns != e.involvedNamespace {
			allErrs = append(allErrs, field.Invalid(nsPath, e.involvedNamespace, "does not match event.namespace"))
		}
		return allErrs
	}
	if e.involvedNamespace == "" && ns != metav1.NamespaceDefault && ns != metav1.NamespaceSystem {
		allErrs = append(allErrs, field.Invalid(nsPath, e.involvedNamespace, "does not match event.namespace"))
	}
	if e.reportingController == "" {
		allErrs = append(allErrs, field.Required(field.NewPath(controllerField), ""))
	}
	allErrs = append(allErrs, qualifiedName(e.reportingController, field.NewPath(controllerField))...)
	if e.reportingInstance == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("reportingInstance"), ""))
	}
	if len(e.reportingInstance) > reportingInstanceLimit {
		allErrs = append(allErrs, field.Invalid(field.NewPath("reportingInstance"), "", fmt.Sprintf("can have at most %v characters", reportingInstanceLimit)))
	}
	if e.action == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("action"), ""))
	}
	if len(e.action) > actionLimit {
		allErrs = append(allErrs, field.Invalid(field.NewPath("action"), "", fmt.Sprintf("can have at most %v characters", actionLimit)))
	}
	if e.reason == "" {
		allErrs = append(allErrs, field.Required(field.NewPath("reason"), ""))
	}
	if len(e.reason) > reasonLimit {
		allErrs = append(allErrs, field.Invalid(field.NewPath("reason"), "", fmt.Sprintf("can have at most %v characters", reasonLimit)))
	}
	if len(e.message) > noteLimit {
		allErrs = append(allErrs, field.Invalid(field.NewPath("message"), "", fmt.Sprintf("can have at most %v characters", noteLimit)))
	}
	return allErrs
}

func coreEventView(e *corev1.Event) eventView {
	return eventView{&e.ObjectMeta, e.InvolvedObject.Namespace, e.EventTime.Time, e.ReportingController,
		e.ReportingInstance, e.Action, e.Reason, e.Message, e.Type}
}

// ValidateEvent checks a core/v1 event. Upstream holds its name only to the generic
// path-segment rule.
func ValidateEvent(obj runtime.Object) field.ErrorList {
	return create(obj, func(e *corev1.Event) field.ErrorList {
		return append(objectMeta(&e.ObjectMeta, true, NameIsPathSegment), legacyEvent(coreEventView(e), "reportingComponent")...)
	})
}

// ValidateEventUpdate checks a core/v1 event update; core/v1 events are mutable.
func ValidateEventUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(e, old *corev1.Event) field.ErrorList {
		allErrs := objectMetaUpdate(&e.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, objectMeta(&e.ObjectMeta, true, NameIsPathSegment)...)
		return append(allErrs, legacyEvent(coreEventView(e), "reportingComponent")...)
	})
}

func eventsV1View(e *eventsv1.Event) eventView {
	return eventView{&e.ObjectMeta, e.Regarding.Namespace, e.EventTime.Time, e.ReportingController,
		e.ReportingInstance, e.Action, e.Reason, e.Note, e.Type}
}

// ValidateEventsV1Event checks an events.k8s.io/v1 event, which must be a
// new-style event: eventTime set, deprecated fields unset.
func ValidateEventsV1Event(obj runtime.Object) field.ErrorList {
	return create(obj, func(e *eventsv1.Event) field.ErrorList {
		allErrs := legacyEvent(eventsV1View(e), "reportingController")
		allErrs = append(allErrs, objectMeta(&e.ObjectMeta, true, NameIsDNSSubdomain)...)
		allErrs = append(allErrs, eventSeries(e.Series)...)
		if e.EventTime.IsZero() {
			allErrs = append(allErrs, field.Required(field.NewPath("eventTime"), ""))
		}
		if e.Type != corev1.EventTypeNormal && e.Type != corev1.EventTypeWarning {
			allErrs = append(allErrs, field.Invalid(field.NewPath("type"), "", fmt.Sprintf("has invalid value: %v", e.Type)))
		}
		if !e.DeprecatedFirstTimestamp.IsZero() {
			allErrs = append(allErrs, field.Invalid(field.NewPath("firstTimestamp"), "", "needs to be unset"))
		}
		if !e.DeprecatedLastTimestamp.IsZero() {
			allErrs = append(allErrs, field.Invalid(field.NewPath("lastTimestamp"), "", "needs to be unset"))
		}
		if e.DeprecatedCount != 0 {
			allErrs = append(allErrs, field.Invalid(field.NewPath("count"), "", "needs to be unset"))
		}
		if e.DeprecatedSource.Component != "" || e.DeprecatedSource.Host != "" {
			allErrs = append(allErrs, field.Invalid(field.NewPath("source"), "", "needs to be unset"))
		}
		return allErrs
	})
}

func eventSeries(s *eventsv1.EventSeries) field.ErrorList {
	var allErrs field.ErrorList
	if s != nil {
		if s.Count < 2 {
			allErrs = append(allErrs, field.Invalid(field.NewPath("series.count"), "", "should be at least 2"))
		}
		if s.LastObservedTime.IsZero() {
			allErrs = append(allErrs, field.Required(field.NewPath("series.lastObservedTime"), ""))
		}
	}
	return allErrs
}

// ValidateEventsV1EventUpdate allows only series (and metadata) to change.
func ValidateEventsV1EventUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(e, old *eventsv1.Event) field.ErrorList {
		allErrs := legacyEvent(eventsV1View(e), "reportingController")
		allErrs = append(allErrs, objectMetaUpdate(&e.ObjectMeta, &old.ObjectMeta)...)
		if !equalSeries(e.Series, old.Series) {
			allErrs = append(allErrs, eventSeries(e.Series)...)
		}
		for _, c := range []struct {
			path     string
			now, was any
		}{
			{"involvedObject", e.Regarding, old.Regarding}, {"reason", e.Reason, old.Reason}, {"message", e.Note, old.Note},
			{"source", e.DeprecatedSource, old.DeprecatedSource}, {"firstTimestamp", e.DeprecatedFirstTimestamp, old.DeprecatedFirstTimestamp},
			{"lastTimestamp", e.DeprecatedLastTimestamp, old.DeprecatedLastTimestamp}, {"count", e.DeprecatedCount, old.DeprecatedCount},
			{"type", e.Type, old.Type}, {"action", e.Action, old.Action}, {"related", e.Related, old.Related},
			{"reportingController", e.ReportingController, old.ReportingController}, {"reportingInstance", e.ReportingInstance, old.ReportingInstance},
		} {
			allErrs = append(allErrs, immutable(c.now, c.was, field.NewPath(c.path))...)
		}
		if !e.EventTime.Truncate(time.Microsecond).UTC().Equal(old.EventTime.Truncate(time.Microsecond).UTC()) {
			allErrs = append(allErrs, immutable(e.EventTime, old.EventTime, field.NewPath("eventTime"))...)
		}
		return allErrs
	})
}

func equalSeries(a, b *eventsv1.EventSeries) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Count == b.Count && a.LastObservedTime.Equal(&b.LastObservedTime)
}

// ValidateLease checks a coordination.k8s.io/v1 lease.
func ValidateLease(obj runtime.Object) field.ErrorList {
	return create(obj, func(l *coordinationv1.Lease) field.ErrorList {
		return append(objectMeta(&l.ObjectMeta, true, NameIsDNSSubdomain), leaseSpec(&l.Spec)...)
	})
}

// ValidateLeaseUpdate checks a lease update; the whole spec may change.
func ValidateLeaseUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(l, old *coordinationv1.Lease) field.ErrorList {
		return append(objectMetaUpdate(&l.ObjectMeta, &old.ObjectMeta), leaseSpec(&l.Spec)...)
	})
}

func leaseSpec(spec *coordinationv1.LeaseSpec) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("spec")
	if spec.LeaseDurationSeconds != nil && *spec.LeaseDurationSeconds <= 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("leaseDurationSeconds"), spec.LeaseDurationSeconds, "must be greater than 0"))
	}
	if spec.LeaseTransitions != nil && *spec.LeaseTransitions < 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("leaseTransitions"), spec.LeaseTransitions, "must be greater than or equal to 0"))
	}
	if spec.Strategy != nil && *spec.Strategy != coordinationv1.OldestEmulationVersion {
		allErrs = append(allErrs, field.NotSupported(p.Child("strategy"), *spec.Strategy, []coordinationv1.CoordinatedLeaseStrategy{coordinationv1.OldestEmulationVersion}))
	}
	if spec.PreferredHolder != nil && *spec.PreferredHolder != "" && (spec.Strategy == nil || *spec.Strategy == "") {
		allErrs = append(allErrs, field.Forbidden(p.Child("preferredHolder"), "may only be specified if `strategy` is defined"))
	}
	return allErrs
}
