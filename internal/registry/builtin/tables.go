package builtin

import (
	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
)

// tables maps each served group/kind to its `kubectl get` printer.
var tables = map[string]func() *registry.Table{
	"/Namespace":                printers.Namespace,
	"/ConfigMap":                printers.ConfigMap,
	"/Secret":                   printers.Secret,
	"/ServiceAccount":           printers.ServiceAccount,
	"/Pod":                      printers.Pod,
	"/Service":                  printers.Service,
	"/Endpoints":                printers.Endpoints,
	"/Event":                    printers.Event,
	"/Node":                     printers.Node,
	"/LimitRange":               printers.LimitRange,
	"/ResourceQuota":            printers.ResourceQuota,
	"/PodTemplate":              printers.PodTemplate,
	"/ReplicationController":    printers.ReplicationController,
	"/PersistentVolume":         printers.PersistentVolume,
	"/PersistentVolumeClaim":    printers.PersistentVolumeClaim,
	"apps/ControllerRevision":   printers.ControllerRevision,
	"apps/DaemonSet":            printers.DaemonSet,
	"apps/Deployment":           printers.Deployment,
	"apps/ReplicaSet":           printers.ReplicaSet,
	"apps/StatefulSet":          printers.StatefulSet,
	"coordination.k8s.io/Lease": printers.Lease,
	"events.k8s.io/Event":       printers.EventsV1Event,
}

// withTables attaches each resource's printer; resources without one print the
// default NAME and CREATED AT columns.
func withTables(list []*registry.Resource) []*registry.Resource {
	for _, r := range list {
		if t, ok := tables[r.GroupVersion.Group+"/"+r.Kind]; ok {
			r.Table = t()
		}
	}
	return list
}
