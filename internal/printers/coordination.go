package printers

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Lease prints NAME HOLDER AGE; HOLDER is empty for a released lease.
func Lease() *registry.Table { return leaseTable(time.Now) }

func leaseTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Holder", "string", coordinationv1.LeaseSpec{}.SwaggerDoc()["holderIdentity"]),
		ageColumn(),
	}
	return typed("leases", cols, func(l *coordinationv1.Lease) []any {
		return []any{l.Name, deref(l.Spec.HolderIdentity, ""), since(now, l.CreationTimestamp)}
	})
}
