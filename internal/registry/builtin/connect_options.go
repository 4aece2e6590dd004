package builtin

import (
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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

func decodeLogOptions(q url.Values) (*corev1.PodLogOptions, error) {
	d := &queryDecoder{q: q}
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
	return o, d.done()
}

// streamOptions are what exec, attach and portforward pass on to the kubelet.
type streamOptions struct {
	container string
	query     url.Values
}

// decodeExecOptions reads PodExecOptions (command too) or PodAttachOptions.
func decodeExecOptions(q url.Values, withCommand bool) (streamOptions, error) {
	d := &queryDecoder{q: q}
	out := url.Values{}
	// The client's option names (stdin, ...) become the kubelet's (input, ...).
	for _, p := range [][2]string{{"stdin", corev1.ExecStdinParam}, {"stdout", corev1.ExecStdoutParam},
		{"stderr", corev1.ExecStderrParam}, {"tty", corev1.ExecTTYParam}} {
		if d.boolean(p[0]) {
			out.Add(p[1], "1")
		}
	}
	if withCommand {
		for _, c := range q["command"] {
			out.Add("command", c)
		}
	}
	return streamOptions{container: d.str("container"), query: out}, d.done()
}

func decodePortForwardOptions(q url.Values) (streamOptions, error) {
	d := &queryDecoder{q: q}
	ports := d.ports("ports")
	out := url.Values{}
	if len(ports) > 0 {
		s := ""
		for i, p := range ports {
			if i > 0 {
				s += ","
			}
			s += strconv.Itoa(int(p))
		}
		out.Add(corev1.PortHeader, s)
	}
	return streamOptions{query: out}, d.done()
}
