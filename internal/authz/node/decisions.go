package node

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/request"
)

// The decisions for the resources the authorizer subdivides. Reasons are upstream's
// word for word: they reach the client in the 403 message.

type groupResource struct{ group, resource string }

// decider decides one request of a node on one resource.
type decider func(ctx context.Context, a *Authorizer, node string, info *request.Info) (authz.Decision, string, error)

// subdivided maps each resource the authorizer narrows to its decision; the node
// rules decide every other request.
var subdivided = map[groupResource]decider{
	{"", "secrets"}:                                   readNamespaced(secretKind),
	{"", "configmaps"}:                                readNamespaced(configMapKind),
	{"", "persistentvolumeclaims"}:                    decidePVC,
	{"", "persistentvolumes"}:                         getOnly(pvKind),
	{"resource.k8s.io", "resourceclaims"}:             getOnly(resourceClaimKind),
	{"storage.k8s.io", "volumeattachments"}:           getOnly(volumeAttachmentKind),
	{"", "serviceaccounts"}:                           decideServiceAccount,
	{"coordination.k8s.io", "leases"}:                 decideLease,
	{"storage.k8s.io", "csinodes"}:                    decideCSINode,
	{"resource.k8s.io", "resourceslices"}:             decideResourceSlice,
	{"", "nodes"}:                                     decideNode,
	{"", "pods"}:                                      decidePod,
	{"certificates.k8s.io", "podcertificaterequests"}: decidePodCertificateRequest,
}

// nodeLeaseNamespace holds the node heartbeat leases.
const nodeLeaseNamespace = "kube-node-lease"

func allow() (authz.Decision, string, error) { return authz.Allow, "", nil }

func noOpinion(reason string) (authz.Decision, string, error) {
	return authz.NoOpinion, reason, nil
}

// decideRelated allows the request when its object is related to node.
func decideRelated(ctx context.Context, a *Authorizer, node string, k kind, info *request.Info) (authz.Decision, string, error) {
	if info.Name == "" {
		return noOpinion("No Object name found")
	}
	return decideRelatedNamed(ctx, a, node, k, info)
}

func decideRelatedNamed(ctx context.Context, a *Authorizer, node string, k kind, info *request.Info) (authz.Decision, string, error) {
	ok, err := a.related(ctx, node, k, info.Namespace, info.Name)
	if ok {
		return allow()
	}
	// A store failure is reported as an error (500), not passed off as a 403.
	return authz.NoOpinion, fmt.Sprintf("no relationship found between node '%s' and this object", node), err
}

// readNamespaced lets a node get, list or watch single related objects of a
// namespace (list and watch name theirs with a metadata.name field selector).
func readNamespaced(k kind) decider {
	return func(ctx context.Context, a *Authorizer, node string, info *request.Info) (authz.Decision, string, error) {
		switch info.Verb {
		case "get", "list", "watch":
		default:
			return noOpinion("can only read resources of this type")
		}
		if info.Subresource != "" {
			return noOpinion("cannot read subresource")
		}
		if info.Namespace == "" {
			return noOpinion("can only read namespaced object of this type")
		}
		return decideRelated(ctx, a, node, k, info)
	}
}

// getOnly lets a node get related objects and nothing else.
func getOnly(k kind) decider {
	return func(ctx context.Context, a *Authorizer, node string, info *request.Info) (authz.Decision, string, error) {
		if info.Verb != "get" {
			return noOpinion("can only get individual resources of this type")
		}
		if info.Subresource != "" {
			return noOpinion("cannot get subresource")
		}
		return decideRelated(ctx, a, node, k, info)
	}
}

// decidePVC: get a related claim, or update its status (volume expansion).
func decidePVC(ctx context.Context, a *Authorizer, node string, info *request.Info) (authz.Decision, string, error) {
	if info.Subresource != "status" {
		return getOnly(pvcKind)(ctx, a, node, info)
	}
	switch info.Verb {
	case "update", "patch":
		return decideRelated(ctx, a, node, pvcKind, info)
	}
	return noOpinion("can only get/update/patch this type")
}

// decideServiceAccount: get a related service account (image credential providers,
// pod certificates) or create a token for one.
func decideServiceAccount(ctx context.Context, a *Authorizer, node string, info *request.Info) (authz.Decision, string, error) {
	if info.Verb == "get" && info.Subresource == "" {
		return readNamespaced(serviceAccountKind)(ctx, a, node, info)
	}
	if info.Verb != "create" || info.Name == "" {
		return noOpinion("can only create tokens for individual service accounts")
	}
	if info.Subresource != "token" {
		return noOpinion("can only create token subresource of serviceaccount")
	}
	return decideRelatedNamed(ctx, a, node, serviceAccountKind, info)
}

// decideLease: the node's own heartbeat lease. Create names no object; the
// NodeRestriction admission plugin checks it.
func decideLease(_ context.Context, _ *Authorizer, node string, info *request.Info) (authz.Decision, string, error) {
	switch info.Verb {
	case "get", "create", "update", "patch", "delete":
	default:
		return noOpinion("can only get, create, update, patch, or delete a node lease")
	}
	if info.Namespace != nodeLeaseNamespace {
		return noOpinion(fmt.Sprintf("can only access leases in the %q system namespace", nodeLeaseNamespace))
	}
	if info.Verb != "create" && info.Name != node {
		return noOpinion("can only access node lease with the same name as the requesting node")
	}
	return allow()
}

// decideCSINode: the node's own CSINode. Its status needs CSIVolumeHealth, an alpha
// gate off by default.
func decideCSINode(_ context.Context, _ *Authorizer, node string, info *request.Info) (authz.Decision, string, error) {
	switch info.Subresource {
	case "":
		switch info.Verb {
		case "get", "create", "update", "patch", "delete":
		default:
			return noOpinion("can only get, create, update, patch, or delete a CSINode")
		}
	case "status":
		return noOpinion("CSINode status access requires CSIVolumeHealth feature")
	default:
		return noOpinion("cannot authorize CSINode subresources")
	}
	if info.Verb != "create" && info.Name != node {
		return noOpinion("can only access CSINode with the same name as the requesting node")
	}
	return allow()
}

// decideResourceSlice: slices of the node's pools. Create is checked by admission;
// reads of many must select the node.
func decideResourceSlice(ctx context.Context, a *Authorizer, node string, info *request.Info) (authz.Decision, string, error) {
	if info.Subresource != "" {
		return noOpinion("cannot authorize ResourceSlice subresources")
	}
	switch info.Verb {
	case "create":
		return allow()
	case "get", "update", "patch", "delete":
		return decideRelated(ctx, a, node, resourceSliceKind, info)
	case "watch", "list", "deletecollection":
		if selectsNode(info.FieldSelector, "spec.nodeName", node) {
			return allow()
		}
		return noOpinion("can only list/watch/deletecollection resourceslices with nodeName field selector")
	}
	return noOpinion("only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, delete, deletecollection")
}

// decidePodCertificateRequest: requests for the node's pods (PodCertificateRequest is
// on by default in v1.37). Create is checked by admission.
func decidePodCertificateRequest(ctx context.Context, a *Authorizer, node string, info *request.Info) (authz.Decision, string, error) {
	if info.Subresource != "" {
		return noOpinion("nodes may not access the status subresource of PodCertificateRequests")
	}
	switch info.Verb {
	case "create":
		return allow()
	case "get":
		return decideRelated(ctx, a, node, podCertificateRequestKind, info)
	case "list", "watch":
		if selectsNode(info.FieldSelector, "spec.nodeName", node) {
			return allow()
		}
		return noOpinion("can only list/watch podcertificaterequests with nodeName field selector")
	}
	return noOpinion(fmt.Sprintf("nodes may not %s podcertificaterequests", info.Verb))
}

// decideNode: a node reads only its own Node (by name, so before it exists too);
// writes are left to the NodeRestriction admission plugin.
func decideNode(_ context.Context, _ *Authorizer, node string, info *request.Info) (authz.Decision, string, error) {
	switch info.Subresource {
	case "":
		switch info.Verb {
		case "create", "update", "patch":
			return allow()
		case "get", "list", "watch":
			switch info.Name {
			case node:
				return allow()
			case "":
				return noOpinion(fmt.Sprintf("node '%s' cannot read all nodes, only its own Node object", node))
			default:
				return noOpinion(fmt.Sprintf("node '%s' cannot read '%s', only its own Node object", node, info.Name))
			}
		}
	case "status":
		switch info.Verb {
		case "update", "patch":
			return allow()
		}
	}
	return noOpinion("")
}

// decidePod: the pods bound to the node; list and watch must select the node. Mirror
// pod writes, status and evictions are left to the NodeRestriction admission plugin.
func decidePod(ctx context.Context, a *Authorizer, node string, info *request.Info) (authz.Decision, string, error) {
	switch info.Subresource {
	case "":
		switch info.Verb {
		case "get":
			return decideRelated(ctx, a, node, podKind, info)
		case "list", "watch":
			if selectsNode(info.FieldSelector, "spec.nodeName", node) {
				return allow()
			}
			if info.Name != "" {
				return decideRelatedNamed(ctx, a, node, podKind, info)
			}
			return noOpinion("can only list/watch pods with spec.nodeName field selector")
		case "create", "delete":
			return allow()
		}
	case "status":
		switch info.Verb {
		case "update", "patch":
			return allow()
		}
	case "eviction":
		if info.Verb == "create" {
			return allow()
		}
	}
	return noOpinion("")
}

// selectsNode reports whether the raw field selector requires field to equal node.
// An unparsable selector selects nothing.
func selectsNode(raw, field, node string) bool {
	if raw == "" {
		return false
	}
	sel, err := fields.ParseSelector(raw)
	if err != nil {
		return false
	}
	for _, r := range sel.Requirements() {
		if r.Field == field && r.Operator == selection.Equals && r.Value == node {
			return true
		}
	}
	return false
}
