package registry

import (
	"net/url"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// queryDecoder reads the options of a connect subresource from the query string the
// way upstream's generated url.Values conversions do; the first error wins and is
// answered as a 400.
type queryDecoder struct {
	q   url.Values
	err error
}

func (d *queryDecoder) str(key string) string {
	if v := d.q[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (d *queryDecoder) boolean(key string) bool {
	v, ok := d.q[key]
	if !ok || len(v) == 0 {
		return false
	}
	var out bool
	_ = runtime.Convert_Slice_string_To_bool(&v, &out, nil)
	return out
}

func (d *queryDecoder) int64Ptr(key string) *int64 {
	v, ok := d.q[key]
	if !ok || len(v) == 0 || d.err != nil {
		return nil
	}
	var out *int64
	if err := runtime.Convert_Slice_string_To_Pointer_int64(&v, &out, nil); err != nil {
		d.err = err
	}
	return out
}

func (d *queryDecoder) timePtr(key string) *metav1.Time {
	v, ok := d.q[key]
	if !ok || len(v) == 0 || d.err != nil {
		return nil
	}
	var out *metav1.Time
	if err := metav1.Convert_Slice_string_To_Pointer_v1_Time(&v, &out, nil); err != nil {
		d.err = err
	}
	return out
}

func (d *queryDecoder) ports(key string) []int32 {
	v, ok := d.q[key]
	if !ok || len(v) == 0 || d.err != nil {
		return nil
	}
	var out []int32
	if err := metav1.Convert_Slice_string_To_Slice_int32(&v, &out, nil); err != nil {
		d.err = err
	}
	return out
}

func (d *queryDecoder) done() error {
	if d.err != nil {
		return apierrors.NewBadRequest(d.err.Error())
	}
	return nil
}

// DecodeQueryOptions reads the options object of kind (core/v1 PodLogOptions, the
// connect options of exec, attach, portforward and the proxies) from a request's
// query, as upstream's generated url.Values conversions do; path is the proxy path
// after the subresource. Kinds of other groups give nil; a malformed value a 400.
func DecodeQueryOptions(kind schema.GroupVersionKind, q url.Values, path string) (runtime.Object, error) {
	if kind.Group != "" || kind.Version != "v1" {
		return nil, nil
	}
	d := &queryDecoder{q: q}
	var obj runtime.Object
	switch kind.Kind {
	case "PodLogOptions":
		o := &corev1.PodLogOptions{
			Container:                    d.str("container"),
			Follow:                       d.boolean("follow"),
			Previous:                     d.boolean("previous"),
			SinceSeconds:                 d.int64Ptr("sinceSeconds"),
			SinceTime:                    d.timePtr("sinceTime"),
			Timestamps:                   d.boolean("timestamps"),
			TailLines:                    d.int64Ptr("tailLines"),
			LimitBytes:                   d.int64Ptr("limitBytes"),
			InsecureSkipTLSVerifyBackend: d.boolean("insecureSkipTLSVerifyBackend"),
		}
		if v, ok := q["stream"]; ok && len(v) > 0 {
			s := v[0]
			o.Stream = &s
		}
		obj = o
	case "PodExecOptions":
		obj = &corev1.PodExecOptions{Stdin: d.boolean("stdin"), Stdout: d.boolean("stdout"), Stderr: d.boolean("stderr"),
			TTY: d.boolean("tty"), Container: d.str("container"), Command: q["command"]}
	case "PodAttachOptions":
		obj = &corev1.PodAttachOptions{Stdin: d.boolean("stdin"), Stdout: d.boolean("stdout"), Stderr: d.boolean("stderr"),
			TTY: d.boolean("tty"), Container: d.str("container")}
	case "PodPortForwardOptions":
		obj = &corev1.PodPortForwardOptions{Ports: d.ports("ports")}
	case "PodProxyOptions":
		obj = &corev1.PodProxyOptions{Path: path}
	case "NodeProxyOptions":
		obj = &corev1.NodeProxyOptions{Path: path}
	case "ServiceProxyOptions":
		obj = &corev1.ServiceProxyOptions{Path: path}
	default:
		return nil, nil
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	obj.GetObjectKind().SetGroupVersionKind(kind)
	return obj, nil
}
