package printers

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Namespace prints NAME STATUS AGE.
func Namespace() *registry.Table { return namespaceTable(time.Now) }

func namespaceTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Status", "string", "The status of the namespace"),
		ageColumn(),
	}
	return typed("namespaces", cols, func(ns *corev1.Namespace) []any {
		return []any{ns.Name, string(ns.Status.Phase), since(now, ns.CreationTimestamp)}
	})
}

// ConfigMap prints NAME DATA AGE; DATA counts both data and binaryData keys.
func ConfigMap() *registry.Table { return configMapTable(time.Now) }

func configMapTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Data", "string", corev1.ConfigMap{}.SwaggerDoc()["data"]),
		ageColumn(),
	}
	return typed("configmaps", cols, func(cm *corev1.ConfigMap) []any {
		return []any{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), since(now, cm.CreationTimestamp)}
	})
}

// Secret prints NAME TYPE DATA AGE.
func Secret() *registry.Table { return secretTable(time.Now) }

func secretTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Type", "string", corev1.Secret{}.SwaggerDoc()["type"]),
		column("Data", "string", corev1.Secret{}.SwaggerDoc()["data"]),
		ageColumn(),
	}
	return typed("secrets", cols, func(s *corev1.Secret) []any {
		return []any{s.Name, string(s.Type), int64(len(s.Data)), since(now, s.CreationTimestamp)}
	})
}

// ServiceAccount prints NAME AGE.
func ServiceAccount() *registry.Table { return serviceAccountTable(time.Now) }

func serviceAccountTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{nameColumn(), ageColumn()}
	return typed("serviceaccounts", cols, func(sa *corev1.ServiceAccount) []any {
		return []any{sa.Name, since(now, sa.CreationTimestamp)}
	})
}

// LimitRange has no printer upstream: it uses the default NAME, CREATED AT table.
func LimitRange() *registry.Table { return Default() }

// Endpoints prints NAME ENDPOINTS AGE, listing at most three ip:port pairs.
func Endpoints() *registry.Table { return endpointsTable(time.Now) }

func endpointsTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Endpoints", "string", corev1.Endpoints{}.SwaggerDoc()["subsets"]),
		ageColumn(),
	}
	return typed("endpoints", cols, func(ep *corev1.Endpoints) []any {
		return []any{ep.Name, formatEndpoints(ep), since(now, ep.CreationTimestamp)}
	})
}

// maxListed is how many items a list cell shows before "+ N more...".
const maxListed = 3

// formatEndpoints lists the first addresses (with every port of their subset, or
// bare IPs for port-less headless subsets) and counts the rest.
func formatEndpoints(ep *corev1.Endpoints) string {
	if len(ep.Subsets) == 0 {
		return none
	}
	var list []string
	count := 0
	more := false
	add := func(s string) {
		if len(list) == maxListed {
			more = true
			return
		}
		list = append(list, s)
	}
	for _, ss := range ep.Subsets {
		if len(ss.Ports) == 0 {
			count += len(ss.Addresses)
			for _, a := range ss.Addresses {
				add(a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			count += len(ss.Addresses)
			for _, a := range ss.Addresses {
				add(net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	out := strings.Join(list, ",")
	if more {
		return fmt.Sprintf("%s + %d more...", out, count-maxListed)
	}
	return out
}

// Event prints LAST SEEN TYPE REASON OBJECT MESSAGE; wide adds SUBOBJECT SOURCE
// FIRST SEEN COUNT NAME. Unlike every other table, Name is the last column.
func Event() *registry.Table { return eventTable(time.Now) }

// EventsV1Event is the table of events.k8s.io/v1 events. They are stored as core/v1
// Events and upstream prints both APIs with the same printer.
func EventsV1Event() *registry.Table { return Event() }

func eventTable(now clock) *registry.Table {
	doc := corev1.Event{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		column("Last Seen", "string", doc["lastTimestamp"]),
		column("Type", "string", doc["type"]),
		column("Reason", "string", doc["reason"]),
		column("Object", "string", doc["involvedObject"]),
		wide("Subobject", "string", corev1.ObjectReference{}.SwaggerDoc()["fieldPath"]),
		wide("Source", "string", doc["source"]),
		column("Message", "string", doc["message"]),
		wide("First Seen", "string", doc["firstTimestamp"]),
		wide("Count", "string", doc["count"]),
		{Name: "Name", Type: "string", Format: "name", Priority: 1, Description: metaDoc("name")},
	}
	return typed("events", cols, func(ev *corev1.Event) []any {
		return eventCells(now, ev)
	})
}

// eventCells falls back from the deprecated core timestamps to the events.k8s.io
// fields (eventTime, series) that newer reporters set instead.
func eventCells(now clock, ev *corev1.Event) []any {
	first := since(now, ev.FirstTimestamp)
	if ev.FirstTimestamp.IsZero() {
		first = sinceMicro(now, ev.EventTime)
	}
	last := since(now, ev.LastTimestamp)
	if ev.LastTimestamp.IsZero() {
		last = first
	}
	count := ev.Count
	if ev.Series != nil {
		last = sinceMicro(now, ev.Series.LastObservedTime)
		count = ev.Series.Count
	} else if count == 0 {
		count = 1 // a singleton event of the new API has no count
	}
	target := strings.ToLower(ev.InvolvedObject.Kind)
	if ev.InvolvedObject.Name != "" {
		target += "/" + ev.InvolvedObject.Name
	}
	source := cmpOr(ev.Source.Component, ev.ReportingController)
	if host := cmpOr(ev.Source.Host, ev.ReportingInstance); host != "" {
		source += ", " + host
	}
	return []any{
		last,
		ev.Type,
		ev.Reason,
		target,
		ev.InvolvedObject.FieldPath,
		source,
		strings.TrimSpace(ev.Message),
		first,
		int64(count),
		ev.Name,
	}
}

// cmpOr returns a unless it is empty, then b.
func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ResourceQuota prints NAME REQUEST LIMIT AGE: "resource: used/hard" pairs sorted by
// resource name, limits.* in LIMIT and everything else in REQUEST.
func ResourceQuota() *registry.Table { return resourceQuotaTable(time.Now) }

func resourceQuotaTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
		column("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
		ageColumn(),
	}
	return typed("resourcequotas", cols, func(q *corev1.ResourceQuota) []any {
		names := make([]corev1.ResourceName, 0, len(q.Status.Hard))
		for n := range q.Status.Hard {
			names = append(names, n)
		}
		slices.Sort(names)
		var requests, limits []string
		for _, n := range names {
			used, hard := q.Status.Used[n], q.Status.Hard[n]
			pair := fmt.Sprintf("%s: %s/%s", n, used.String(), hard.String())
			if prefix, _, found := strings.Cut(string(n), "."); found && prefix == "limits" {
				limits = append(limits, pair)
			} else {
				requests = append(requests, pair)
			}
		}
		return []any{q.Name, strings.Join(requests, ", "), strings.Join(limits, ", "), since(now, q.CreationTimestamp)}
	})
}

// PodTemplate prints NAME CONTAINERS IMAGES POD LABELS (no age, as upstream).
func PodTemplate() *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Containers", "string", descContainers),
		column("Images", "string", descImages),
		column("Pod Labels", "string", "The labels for the pod template."),
	}
	return typed("podtemplates", cols, func(pt *corev1.PodTemplate) []any {
		names, images := containerCells(pt.Template.Spec.Containers)
		return []any{pt.Name, names, images, labels.FormatLabels(pt.Template.Labels)}
	})
}

// ReplicationController prints NAME DESIRED CURRENT READY AGE; wide adds
// CONTAINERS IMAGES SELECTOR.
func ReplicationController() *registry.Table { return replicationControllerTable(time.Now) }

func replicationControllerTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Desired", "integer", corev1.ReplicationControllerSpec{}.SwaggerDoc()["replicas"]),
		column("Current", "integer", corev1.ReplicationControllerStatus{}.SwaggerDoc()["replicas"]),
		column("Ready", "integer", corev1.ReplicationControllerStatus{}.SwaggerDoc()["readyReplicas"]),
		ageColumn(),
		wide("Containers", "string", descContainers),
		wide("Images", "string", descImages),
		wide("Selector", "string", corev1.ReplicationControllerSpec{}.SwaggerDoc()["selector"]),
	}
	return typed("replicationcontrollers", cols, func(rc *corev1.ReplicationController) []any {
		var containers []corev1.Container
		if rc.Spec.Template != nil {
			containers = rc.Spec.Template.Spec.Containers
		}
		names, images := containerCells(containers)
		return []any{
			rc.Name,
			int64(deref(rc.Spec.Replicas, 0)),
			int64(rc.Status.Replicas),
			int64(rc.Status.ReadyReplicas),
			since(now, rc.CreationTimestamp),
			names, images, labels.FormatLabels(rc.Spec.Selector),
		}
	})
}
