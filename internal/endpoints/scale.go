package endpoints

import (
	"context"
	"fmt"
	"net/http"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
)

var scaleGVK = autoscalingv1.SchemeGroupVersion.WithKind("Scale")

// serveScale serves GET, PUT and PATCH of <resource>/scale in autoscaling/v1 form.
func (e *endpoint) serveScale(w http.ResponseWriter, r *http.Request, info *request.Info) {
	out, err := e.api.negotiateOutput(r, false)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	ns, name := info.Namespace, info.Name
	ctx := r.Context()
	switch info.Verb {
	case "get":
		obj, err := e.store.Get(ctx, ns, name, &metav1.GetOptions{})
		if err != nil {
			e.api.WriteError(w, r, err)
			return
		}
		e.api.writeObject(w, http.StatusOK, out, e.scaleOf(obj))
	case "update", "patch":
		optionsKind := "UpdateOptions"
		if r.Method == http.MethodPatch {
			optionsKind = "PatchOptions"
		}
		dry, err := dryRun(r, optionsKind)
		if err != nil {
			e.api.WriteError(w, r, err)
			return
		}
		body, err := readBody(r)
		if err != nil {
			e.api.WriteError(w, r, err)
			return
		}
		manager, err := managerName(r)
		if err != nil {
			e.api.WriteError(w, r, err)
			return
		}
		fm, err := e.api.fieldManagers.forKind(e.api.scheme, scaleGVK, scaleGVK.GroupVersion(), "scale", nil)
		if err != nil {
			e.api.WriteError(w, r, apierrors.NewInternalError(err))
			return
		}
		var sent *autoscalingv1.Scale
		if info.Verb == "update" {
			// As for any PUT, the body must name the object of the URL.
			if sent, err = e.decodeScale(r, body); err == nil {
				err = checkScaleName(sent, ns, name)
			}
			if err != nil {
				e.api.WriteError(w, r, err)
				return
			}
		}
		mutate, validate := e.admitScaleFuncs(ns, name, dry, writeOptions(r, "UPDATE"))
		result, _, err := e.store.Update(ctx, ns, name, "scale", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
			if current == nil {
				return nil, apierrors.NewNotFound(e.res.GroupVersionResource().GroupResource(), name)
			}
			scale := sent.DeepCopy() // a PUT's, afresh for each try
			if sent == nil {
				var err error
				if scale, err = e.patchScale(r, body, current); err != nil {
					return nil, err
				}
			}
			if fm != nil {
				if err := e.trackScaleFields(fm, current, scale, manager); err != nil {
					return nil, err
				}
			}
			if mutate != nil {
				if err := mutate(ctx, scale, e.scaleOf(current)); err != nil {
					return nil, err
				}
			}
			if scale.Spec.Replicas < 0 {
				return nil, apierrors.NewInvalid(scaleGVK.GroupKind(), name, field.ErrorList{
					field.Invalid(field.NewPath("spec", "replicas"), scale.Spec.Replicas, "must be greater than or equal to 0")})
			}
			acc, _ := meta.Accessor(current)
			if scale.ResourceVersion != "" && scale.ResourceVersion != acc.GetResourceVersion() {
				return nil, apierrors.NewConflict(e.res.GroupVersionResource().GroupResource(), name,
					fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
			}
			e.res.Scale.SetReplicas(current, scale.Spec.Replicas)
			return current, nil
		}, nil, validate, false, dry)
		if err != nil {
			e.api.WriteError(w, r, err)
			return
		}
		e.api.writeObject(w, http.StatusOK, out, e.scaleOf(result))
	default:
		e.api.WriteError(w, r, methodNotAllowed())
	}
}

// admitScaleFuncs wraps admission for a write of <resource>/scale: plugins, webhooks
// and policies see autoscaling/v1 Scale objects (kind Scale, the parent's resource,
// subresource scale), as upstream. mutate takes the requested and the current Scale;
// validate takes the parent objects the store validated and admits their Scales.
func (e *endpoint) admitScaleFuncs(ns, name string, dry bool, opts runtime.Object) (mutate, validate registry.AdmitFunc) {
	if e.api.admission == nil {
		return nil, nil
	}
	attrs := func(scale, old runtime.Object) *Attributes {
		return &Attributes{Operation: "UPDATE", Resource: e.res.GroupVersionResource(), Kind: scaleGVK, Subresource: "scale",
			Namespace: ns, Name: name, Object: scale, OldObject: old, DryRun: dry, Options: opts}
	}
	mutate = func(ctx context.Context, scale, old runtime.Object) error {
		return e.api.admission.Mutate(ctx, attrs(scale, old))
	}
	validate = func(ctx context.Context, parent, oldParent runtime.Object) error {
		var old runtime.Object
		if oldParent != nil {
			old = e.scaleOf(oldParent)
		}
		return e.api.admission.Validate(ctx, attrs(e.scaleOf(parent), old))
	}
	return mutate, validate
}

// decodeScale decodes the Scale a PUT sends.
func (e *endpoint) decodeScale(r *http.Request, body []byte) (*autoscalingv1.Scale, error) {
	info, err := e.api.negotiateInput(r)
	if err != nil {
		return nil, err
	}
	scale := &autoscalingv1.Scale{}
	if _, _, err := info.Serializer.Decode(body, &scaleGVK, scale); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	return scale, nil
}

// checkScaleName refuses a Scale that names another object than the URL, with the
// words of any other PUT.
func checkScaleName(scale *autoscalingv1.Scale, ns, name string) error {
	if scale.Name != name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", scale.Name, name))
	}
	if scale.Namespace != "" && scale.Namespace != ns {
		return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	return nil
}

// patchScale applies a PATCH's body to the current Scale.
func (e *endpoint) patchScale(r *http.Request, body []byte, current runtime.Object) (*autoscalingv1.Scale, error) {
	pt := types.PatchType(mediaTypeOf(r.Header.Get("Content-Type")))
	patched, err := patchJSON(e.api, pt, body, e.scaleOf(current), &autoscalingv1.Scale{})
	if err != nil {
		return nil, err
	}
	scale := &autoscalingv1.Scale{}
	if _, _, err := e.api.jsonInfo.Serializer.Decode(patched, &scaleGVK, scale); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	scale.ResourceVersion = ""
	return scale, nil
}

// replicasPath maps the parent's group version to where it keeps its replica count,
// so that ownership of spec.replicas moves between the parent and its Scale.
func (e *endpoint) replicasPath() managedfields.ResourcePathMappings {
	path := fieldpath.MakePathOrDie("spec", "replicas")
	if p := e.res.Scale.ReplicasPath; len(p) > 0 {
		elems := make([]any, len(p))
		for i, name := range p {
			elems[i] = name
		}
		path = fieldpath.MakePathOrDie(elems...)
	}
	return managedfields.ResourcePathMappings{e.res.StorageKind.GroupVersion().String(): path}
}

// trackScaleFields records manager's update of scale in the parent's managed
// fields, as upstream's scale subresources do.
func (e *endpoint) trackScaleFields(fm *managedfields.FieldManager, parent runtime.Object, scale *autoscalingv1.Scale, manager string) error {
	acc, err := meta.Accessor(parent)
	if err != nil {
		return err
	}
	handler := managedfields.NewScaleHandler(acc.GetManagedFields(), e.res.StorageKind.GroupVersion(), e.replicasPath())
	old := e.scaleOf(parent)
	updated := fm.UpdateNoErrors(old, scale, manager).(*autoscalingv1.Scale)
	entries, err := handler.ToParent(updated.ManagedFields)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	acc.SetManagedFields(entries)
	return nil
}

func (e *endpoint) scaleOf(obj runtime.Object) *autoscalingv1.Scale {
	acc, _ := meta.Accessor(obj)
	spec, status, selector := e.res.Scale.Get(obj)
	entries, _ := managedfields.NewScaleHandler(acc.GetManagedFields(), e.res.StorageKind.GroupVersion(), e.replicasPath()).ToSubresource()
	s := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{
			Name: acc.GetName(), Namespace: acc.GetNamespace(), UID: acc.GetUID(),
			ResourceVersion: acc.GetResourceVersion(), CreationTimestamp: acc.GetCreationTimestamp(),
			ManagedFields: entries,
		},
		Spec:   autoscalingv1.ScaleSpec{Replicas: spec},
		Status: autoscalingv1.ScaleStatus{Replicas: status, Selector: selector},
	}
	s.SetGroupVersionKind(scaleGVK)
	return s
}
