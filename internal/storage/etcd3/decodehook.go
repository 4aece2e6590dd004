package etcd3

import (
	"io"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// decodeHookCodec calls a hook on every object it decodes.
type decodeHookCodec struct {
	inner runtime.Codec
	hook  func(runtime.Object)
}

// NewDecodeHookCodec wraps inner so that hook sees every object read from etcd: it
// restores what the storage encoding cannot carry (the apiVersion and kind of a
// StatefulSet's claim templates, which protobuf drops and upstream's conversion
// puts back on every read).
func NewDecodeHookCodec(inner runtime.Codec, hook func(runtime.Object)) runtime.Codec {
	return &decodeHookCodec{inner: inner, hook: hook}
}

func (c *decodeHookCodec) Encode(obj runtime.Object, w io.Writer) error {
	return c.inner.Encode(obj, w)
}

func (c *decodeHookCodec) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := c.inner.Decode(data, defaults, into)
	if err == nil {
		c.hook(obj)
	}
	return obj, gvk, err
}

func (c *decodeHookCodec) Identifier() runtime.Identifier { return c.inner.Identifier() }
