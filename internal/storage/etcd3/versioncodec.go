package etcd3

import (
	"io"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// versionCodec stores objects in another version than the one held in memory:
// upstream still writes some resources served as v1 in their beta version, and etcd
// values must stay byte-compatible.
type versionCodec struct {
	inner    runtime.Codec
	scheme   Scheme
	encodeAs schema.GroupVersionKind
}

// Scheme converts between versions and creates objects by kind.
type Scheme interface {
	runtime.ObjectCreater
	Convert(in, out, context any) error
}

// NewVersionCodec wraps inner so that values are written as encodeAs and decoded
// back into the caller's type.
func NewVersionCodec(inner runtime.Codec, scheme Scheme, encodeAs schema.GroupVersionKind) runtime.Codec {
	return &versionCodec{inner: inner, scheme: scheme, encodeAs: encodeAs}
}

func (c *versionCodec) Encode(obj runtime.Object, w io.Writer) error {
	out, err := c.scheme.New(c.encodeAs)
	if err != nil {
		return err
	}
	if err := c.scheme.Convert(obj, out, nil); err != nil {
		return err
	}
	out.GetObjectKind().SetGroupVersionKind(c.encodeAs)
	return c.inner.Encode(out, w)
}

func (c *versionCodec) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	stored, err := c.scheme.New(c.encodeAs)
	if err != nil {
		return nil, nil, err
	}
	if _, _, err := c.inner.Decode(data, nil, stored); err != nil {
		return nil, nil, err
	}
	if err := c.scheme.Convert(stored, into, nil); err != nil {
		return nil, nil, err
	}
	return into, &c.encodeAs, nil
}

func (c *versionCodec) Identifier() runtime.Identifier {
	return runtime.Identifier("version:" + c.encodeAs.String() + ":" + string(c.inner.Identifier()))
}
