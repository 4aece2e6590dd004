package printers

import (
	"slices"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/registry"
)

// CustomResourceDefinition prints NAME SCOPE VERSIONS CREATED AT, and with -o wide
// GROUP KIND SHORTNAMES ESTABLISHED, as kube-apiserver v1.37 does: the served
// versions sorted, the storage one marked "(storage)".
func CustomResourceDefinition() *registry.Table {
	cols := []metav1.TableColumnDefinition{nameColumn(),
		column("Scope", "string", "Cluster/Namespaced"),
		column("Versions", "string", "Served versions"),
		{Name: "Created At", Type: "date", Description: metaDoc("creationTimestamp")},
		wide("Group", "string", "API group"),
		wide("Kind", "string", "CustomResource kind"),
		wide("ShortNames", "string", "Short names"),
		wide("Established", "boolean", "Established status")}
	return typed("customresourcedefinitions", cols, func(c *apiextensionsv1.CustomResourceDefinition) []any {
		var versions []string
		for _, v := range c.Spec.Versions {
			if !v.Served {
				continue
			}
			if v.Storage {
				versions = append(versions, v.Name+"(storage)")
			} else {
				versions = append(versions, v.Name)
			}
		}
		slices.Sort(versions)
		established := slices.ContainsFunc(c.Status.Conditions, func(cond apiextensionsv1.CustomResourceDefinitionCondition) bool {
			return cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue
		})
		return []any{c.Name, string(c.Spec.Scope), strings.Join(versions, ","),
			c.CreationTimestamp.UTC().Format(time.RFC3339), c.Spec.Group, c.Spec.Names.Kind,
			strings.Join(c.Spec.Names.ShortNames, ","), established}
	})
}
