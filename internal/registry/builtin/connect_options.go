package builtin

import (
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/registry"
)

func decodeLogOptions(q url.Values) (*corev1.PodLogOptions, error) {
	obj, err := registry.DecodeQueryOptions(corev1.SchemeGroupVersion.WithKind("PodLogOptions"), q, "")
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.PodLogOptions), nil
}

// streamOptions are what exec, attach and portforward pass on to the kubelet.
type streamOptions struct {
	container string
	query     url.Values
}

// decodeExecOptions reads PodExecOptions (command too) or PodAttachOptions and
// renames the client's options (stdin, ...) to the kubelet's (input, ...).
func decodeExecOptions(q url.Values, withCommand bool) (streamOptions, error) {
	kind := "PodAttachOptions"
	if withCommand {
		kind = "PodExecOptions"
	}
	obj, err := registry.DecodeQueryOptions(corev1.SchemeGroupVersion.WithKind(kind), q, "")
	if err != nil {
		return streamOptions{}, err
	}
	var stdin, stdout, stderr, tty bool
	var container string
	var command []string
	switch o := obj.(type) {
	case *corev1.PodExecOptions:
		stdin, stdout, stderr, tty, container, command = o.Stdin, o.Stdout, o.Stderr, o.TTY, o.Container, o.Command
	case *corev1.PodAttachOptions:
		stdin, stdout, stderr, tty, container = o.Stdin, o.Stdout, o.Stderr, o.TTY, o.Container
	}
	out := url.Values{}
	for _, p := range []struct {
		set  bool
		name string
	}{{stdin, corev1.ExecStdinParam}, {stdout, corev1.ExecStdoutParam}, {stderr, corev1.ExecStderrParam}, {tty, corev1.ExecTTYParam}} {
		if p.set {
			out.Add(p.name, "1")
		}
	}
	for _, c := range command {
		out.Add("command", c)
	}
	return streamOptions{container: container, query: out}, nil
}

func decodePortForwardOptions(q url.Values) (streamOptions, error) {
	obj, err := registry.DecodeQueryOptions(schema.GroupVersionKind{Version: "v1", Kind: "PodPortForwardOptions"}, q, "")
	if err != nil {
		return streamOptions{}, err
	}
	out := url.Values{}
	if ports := obj.(*corev1.PodPortForwardOptions).Ports; len(ports) > 0 {
		s := make([]string, len(ports))
		for i, p := range ports {
			s[i] = strconv.Itoa(int(p))
		}
		out.Add(corev1.PortHeader, strings.Join(s, ","))
	}
	return streamOptions{query: out}, nil
}
