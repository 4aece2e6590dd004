package printers

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/registry"
)

// ComponentStatus prints componentstatuses: NAME STATUS MESSAGE ERROR.
func ComponentStatus() *registry.Table {
	return &registry.Table{
		Columns: []metav1.TableColumnDefinition{
			{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]},
			{Name: "Status", Type: "string", Description: "Status of the component conditions"},
			{Name: "Message", Type: "string", Description: "Message of the component conditions"},
			{Name: "Error", Type: "string", Description: "Error of the component conditions"},
		},
		Cells: func(obj runtime.Object) ([]any, error) {
			cs, ok := obj.(*corev1.ComponentStatus)
			if !ok || cs == nil {
				return nil, fmt.Errorf("expected *v1.ComponentStatus, got %T", obj)
			}
			status, message, errMsg := "Unknown", "", ""
			for _, c := range cs.Conditions {
				if c.Type == corev1.ComponentHealthy {
					status = "Unhealthy"
					if c.Status == corev1.ConditionTrue {
						status = "Healthy"
					}
					message, errMsg = c.Message, c.Error
					break
				}
			}
			return []any{cs.Name, status, message, errMsg}, nil
		},
	}
}
