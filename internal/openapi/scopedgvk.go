package openapi

import (
	"maps"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/spec3"
)

// everyGroupKinds are the meta kinds registered into every API group
// (metav1.AddToGroupVersion), so their x-kubernetes-group-version-kind lists every
// served group version.
var everyGroupKinds = map[string]bool{"DeleteOptions": true, "WatchEvent": true}

// scopeMetaGVKs narrows the GVK lists of everyGroupKinds in the v3 document of the
// built-in group version at root (/api/v1, /apis/<group>/<version>) to that group
// version and core v1, as kube-apiserver v1.37 does. Schemas are replaced, not
// edited: the document's schema values may be shared with other builds.
func scopeMetaGVKs(doc *spec3.OpenAPI, root string) {
	gv, ok := rootGroupVersion(root)
	if doc == nil || doc.Components == nil || !ok {
		return
	}
	for name, s := range doc.Components.Schemas {
		if s == nil {
			continue
		}
		list, ok := s.Extensions[extGVK].([]any)
		if !ok || len(list) < 2 {
			continue
		}
		var kept []any
		for _, item := range list {
			m, _ := item.(map[string]any)
			if !everyGroupKinds[stringOf(m["kind"])] {
				kept = nil
				break
			}
			g, v := stringOf(m["group"]), stringOf(m["version"])
			if (g == gv.Group && v == gv.Version) || (g == "" && v == "v1") {
				kept = append(kept, item)
			}
		}
		if kept == nil {
			continue
		}
		scoped := *s
		scoped.Extensions = maps.Clone(s.Extensions)
		scoped.Extensions[extGVK] = kept
		doc.Components.Schemas[name] = &scoped
	}
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

// rootGroupVersion reads the group version of a root path: /api/v1 or
// /apis/<group>/<version>.
func rootGroupVersion(root string) (schema.GroupVersion, bool) {
	parts := strings.Split(strings.TrimPrefix(root, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "api":
		return schema.GroupVersion{Version: parts[1]}, true
	case len(parts) == 3 && parts[0] == "apis":
		return schema.GroupVersion{Group: parts[1], Version: parts[2]}, true
	}
	return schema.GroupVersion{}, false
}
