package policy

import (
	"context"
	"errors"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/registry"
)

// ParamResource is where a paramKind's objects are read.
type ParamResource struct {
	Reader     webhook.Reader
	Namespaced bool
}

// ParamResolver finds the resource of a paramKind; ok is false for an unknown kind.
type ParamResolver func(gvk schema.GroupVersionKind) (ParamResource, bool)

// ParamsFrom resolves paramKinds among the served resources; readers returns the
// store of a served resource.
func ParamsFrom(resources []*registry.Resource, readers func(schema.GroupVersionResource) webhook.Reader) ParamResolver {
	return func(gvk schema.GroupVersionKind) (ParamResource, bool) {
		for _, res := range resources {
			if res.GroupVersionKind() != gvk {
				continue
			}
			r := readers(res.GroupVersionResource())
			if r == nil {
				return ParamResource{}, false
			}
			return ParamResource{Reader: r, Namespaced: res.Namespaced}, true
		}
		return ParamResource{}, false
	}
}

// collectParams returns the params a binding selects: [nil] when the policy takes
// none, as upstream's.
func (p *Plugin) collectParams(ctx context.Context, kind *admissionregistrationv1.ParamKind, ref *admissionregistrationv1.ParamRef, requestNS string) ([]runtime.Object, error) {
	if kind == nil || ref == nil {
		return []runtime.Object{nil}, nil
	}
	gv, err := schema.ParseGroupVersion(kind.APIVersion)
	if err != nil {
		return nil, err
	}
	gvk := gv.WithKind(kind.Kind)
	var res ParamResource
	ok := false
	if p.cfg.Params != nil {
		res, ok = p.cfg.Params(gvk)
	}
	if !ok {
		return nil, fmt.Errorf("paramKind kind `%v` not known", gvk.String())
	}
	ns := ""
	if res.Namespaced {
		ns = requestNS
		if ref.Namespace != "" {
			ns = ref.Namespace
		} else if ns == "" {
			return nil, errors.New("cannot use namespaced paramRef in policy binding that matches cluster-scoped resources")
		}
	} else if ref.Namespace != "" {
		return nil, errors.New("paramRef.namespace must not be provided for a cluster-scoped `paramKind`")
	}
	var params []runtime.Object
	switch {
	case ref.Name != "":
		if ref.Selector != nil {
			return nil, errors.New("paramRef.name and paramRef.selector are mutually exclusive")
		}
		obj, err := res.Reader.Get(ctx, ns, ref.Name, &metav1.GetOptions{})
		switch {
		case err == nil:
			params = []runtime.Object{obj}
		case apierrors.IsNotFound(err):
		default:
			return nil, err
		}
	case ref.Selector != nil:
		sel, err := metav1.LabelSelectorAsSelector(ref.Selector)
		if err != nil {
			return nil, err
		}
		list, err := res.Reader.List(ctx, ns, &metav1.ListOptions{ResourceVersion: "0", LabelSelector: sel.String()})
		if err != nil {
			return nil, err
		}
		if params, err = meta.ExtractList(list); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("one of name or selector must be provided")
	}
	if len(params) == 0 && ref.ParameterNotFoundAction != nil && *ref.ParameterNotFoundAction == admissionregistrationv1.DenyAction {
		return nil, errors.New("no params found for policy binding with `Deny` parameterNotFoundAction")
	}
	return params, nil
}
