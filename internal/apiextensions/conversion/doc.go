// Package conversion converts custom resources between the versions of their
// CustomResourceDefinition, as kube-apiserver v1.37's CR converter does: objects are
// stored at the CRD's storage version and served in any version it defines.
//
// Strategy None only rewrites apiVersion. Strategy Webhook posts a ConversionReview
// (apiextensions.k8s.io/v1 or v1beta1, the first of conversionReviewVersions kapi
// knows) to the CRD's webhook over HTTPS and checks the answer the way upstream does:
// the uid, the result status, one converted object per object sent, each with the
// requested apiVersion and the original kind, name, namespace and uid. Only labels
// and annotations may change in metadata; everything else in it is restored from
// the original object.
//
// Every error of Convert is a server-side failure: callers answer it with a 500
// InternalError (apierrors.NewInternalError), whose message upstream's clients and
// tests match ("conversion webhook for <gvk> failed: ...").
package conversion
