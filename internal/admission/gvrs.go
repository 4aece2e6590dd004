package admission

import "k8s.io/apimachinery/pkg/runtime/schema"

// The resources the built-in plugins read or admit.
var (
	schemaNodes        = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
	namespacesGVR      = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	podsGVR            = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	serviceAccountsGVR = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	limitRangesGVR     = schema.GroupVersionResource{Version: "v1", Resource: "limitranges"}
	resourceQuotasGVR  = schema.GroupVersionResource{Version: "v1", Resource: "resourcequotas"}
	priorityClassesGVR = schema.GroupVersionResource{Group: "scheduling.k8s.io", Version: "v1", Resource: "priorityclasses"}
	storageClassesGVR  = schema.GroupVersionResource{Group: "storage.k8s.io", Version: "v1", Resource: "storageclasses"}
	ingressClassesGVR  = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingressclasses"}
	runtimeClassesGVR  = schema.GroupVersionResource{Group: "node.k8s.io", Version: "v1", Resource: "runtimeclasses"}
)
