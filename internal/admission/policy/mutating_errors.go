package policy

import (
	"errors"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

// mutationError is one failure of a mutating policy: a configuration that could
// not be applied or a mutation that failed. Whether it refuses the request is the
// policy's failurePolicy's call.
type mutationError struct {
	policy *admissionregistrationv1.MutatingAdmissionPolicy
	// binding is empty for an error of the policy itself.
	binding string
	err     error
	// reason replaces Forbidden in the Status when set.
	reason metav1.StatusReason
}

func (e mutationError) message() string {
	if e.binding == "" {
		return fmt.Sprintf("policy %q denied request: %v", e.policy.Name, e.err)
	}
	return fmt.Sprintf("policy '%s' with binding '%s' denied request: %v", e.policy.Name, e.binding, e.err)
}

func (e mutationError) ignored() bool {
	fp := e.policy.Spec.FailurePolicy
	return fp != nil && *fp == admissionregistrationv1.Ignore
}

// denial turns the errors of policies that fail closed into upstream's answer:
// 403 with the first error's message (and reason, when it has one) and every
// error as a cause. It returns nil when every error is ignored.
func denial(a *endpoints.Attributes, errs []mutationError) error {
	var st *apierrors.StatusError
	for _, e := range errs {
		if e.ignored() {
			continue
		}
		msg := e.message()
		if st == nil {
			st = apierrors.NewForbidden(a.Resource.GroupResource(), deniedName(a), errors.New("admission request denied by policy"))
			st.ErrStatus.Message = msg
			if e.reason != "" {
				st.ErrStatus.Reason = e.reason
			}
		}
		st.ErrStatus.Details.Causes = append(st.ErrStatus.Details.Causes, metav1.StatusCause{Message: msg})
	}
	if st == nil {
		return nil
	}
	return st
}

// deniedName is the name a denial's details carry: the request's, else the
// object's name or generateName, else "Unknown", as upstream's admission errors.
func deniedName(a *endpoints.Attributes) string {
	if a.Name != "" {
		return a.Name
	}
	if a.Object == nil {
		return "Unknown"
	}
	acc, err := meta.Accessor(a.Object)
	switch {
	case err != nil:
		return "Unknown/errorGettingName"
	case acc.GetName() != "":
		return acc.GetName()
	case acc.GetGenerateName() != "":
		return acc.GetGenerateName()
	}
	return "Unknown"
}
