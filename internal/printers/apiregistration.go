package printers

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kapi-dev/kapi/internal/registry"
)

// APIService prints NAME SERVICE AVAILABLE AGE: "Local" for the server's own group
// versions, and the Available condition with its reason when it is not True.
func APIService() *registry.Table { return apiServiceTable(time.Now) }

func apiServiceTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{nameColumn(),
		column("Service", "string", "The reference to the service that hosts this API endpoint."),
		column("Available", "string", "Whether this service is available."),
		ageColumn()}
	return typed("apiservices", cols, func(s *apiregistrationv1.APIService) []any {
		service := "Local"
		if ref := s.Spec.Service; ref != nil {
			service = ref.Namespace + "/" + ref.Name
		}
		available := "Unknown"
		for _, c := range s.Status.Conditions {
			if c.Type != apiregistrationv1.Available {
				continue
			}
			available = string(c.Status)
			if c.Status != apiregistrationv1.ConditionTrue && c.Reason != "" {
				available = fmt.Sprintf("%s (%s)", c.Status, c.Reason)
			}
		}
		return []any{s.Name, service, available, since(now, s.CreationTimestamp)}
	})
}
