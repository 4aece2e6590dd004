package etcd3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/storage"
	"github.com/kapi-dev/kapi/internal/storage/value"
)

// Store is storage.Interface over one etcd key prefix.
type Store struct {
	client *clientv3.Client
	codec  runtime.Codec
	// gvk is the storage kind written into every value's envelope.
	gvk         schema.GroupVersionKind
	newFunc     func() runtime.Object
	newListFunc func() runtime.Object
	// prefix is the resource's key prefix ("/registry/pods/"); continue tokens are
	// relative to it.
	prefix string
	// transformer encrypts values at rest; nil stores them as encoded.
	transformer value.Transformer
	// lastWrite is LastWriteRevision.
	lastWrite atomic.Int64
	// ttl, when not 0, is how long a written value lives (WithTTL), under a lease
	// from leases.
	ttl    time.Duration
	leases *Leases
}

var _ storage.Interface = (*Store)(nil)

// New returns a Store for the objects under resourcePrefix, encoded as gvk by codec.
func New(client *clientv3.Client, codec runtime.Codec, gvk schema.GroupVersionKind, newFunc, newListFunc func() runtime.Object, resourcePrefix string, opts ...Option) *Store {
	if !strings.HasSuffix(resourcePrefix, "/") {
		resourcePrefix += "/"
	}
	s := &Store{client: client, codec: codec, gvk: gvk, newFunc: newFunc, newListFunc: newListFunc, prefix: resourcePrefix}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Codec returns the codec values are encoded with.
func (s *Store) Codec() runtime.Codec { return s.codec }

// Client returns the etcd client.
func (s *Store) Client() *clientv3.Client { return s.client }

// encode writes obj as the storage kind, without a resourceVersion (etcd owns it).
func (s *Store) encode(obj runtime.Object) ([]byte, error) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	rv := acc.GetResourceVersion()
	acc.SetResourceVersion("")
	gvk := obj.GetObjectKind().GroupVersionKind()
	obj.GetObjectKind().SetGroupVersionKind(s.gvk)
	var buf bytes.Buffer
	err = s.codec.Encode(obj, &buf)
	acc.SetResourceVersion(rv)
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return buf.Bytes(), err
}

// decode fills out from a stored value and stamps the storage kind and rev on it.
func (s *Store) decode(data []byte, rev int64, out runtime.Object) error {
	if _, _, err := s.codec.Decode(data, nil, out); err != nil {
		return storage.NewError(storage.CodeInvalidObj, "", "unable to decode stored object: %v", err)
	}
	out.GetObjectKind().SetGroupVersionKind(s.gvk)
	acc, err := meta.Accessor(out)
	if err != nil {
		return err
	}
	acc.SetResourceVersion(strconv.FormatInt(rev, 10))
	return nil
}

func (s *Store) Create(ctx context.Context, key string, obj, out runtime.Object) error {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	if acc.GetResourceVersion() != "" {
		return errors.New("resourceVersion should not be set on objects to be created")
	}
	data, err := s.encode(obj)
	if err != nil {
		return err
	}
	stored, err := s.toStorage(ctx, key, data)
	if err != nil {
		return err
	}
	putOpts, err := s.putOptions(ctx)
	if err != nil {
		return unreachable(key, err)
	}
	resp, err := s.commit(ctx, func(txn clientv3.Txn) clientv3.Txn {
		return txn.If(clientv3.Compare(clientv3.ModRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, string(stored), putOpts...))
	})
	if err != nil {
		return unreachable(key, err)
	}
	if !resp.Succeeded {
		return storage.NewError(storage.CodeKeyExists, key, "")
	}
	return s.decode(data, resp.Header.Revision, out)
}

func (s *Store) Get(ctx context.Context, key string, opts storage.GetOptions, out runtime.Object) error {
	resp, err := s.get(ctx, key)
	if err != nil {
		return unreachable(key, err)
	}
	if err := checkMinimumRV(opts.ResourceVersion, resp.Header.Revision); err != nil {
		return err
	}
	if len(resp.Kvs) == 0 {
		if opts.IgnoreNotFound {
			return zero(out)
		}
		return storage.NewError(storage.CodeNotFound, key, "")
	}
	kv := resp.Kvs[0]
	return s.decodeStored(ctx, key, kv.Value, kv.ModRevision, out)
}

// CurrentRevision asks etcd for its current revision with a cheap, linearizable read.
func (s *Store) CurrentRevision(ctx context.Context) (uint64, error) {
	resp, err := s.get(ctx, "/kapi-revision-probe", clientv3.WithCountOnly())
	if err != nil {
		return 0, unreachable("", err)
	}
	return uint64(resp.Header.Revision), nil
}

func (s *Store) GuaranteedUpdate(ctx context.Context, key string, dest runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc) error {
	getResp, err := s.get(ctx, key)
	if err != nil {
		return unreachable(key, err)
	}
	for {
		current := s.newFunc()
		var origData []byte
		var origRev int64
		// stale: the stored value is not in the current encryption; rewrite it even
		// when the object is unchanged.
		var stale bool
		if len(getResp.Kvs) == 0 {
			if !ignoreNotFound {
				return storage.NewError(storage.CodeNotFound, key, "")
			}
		} else {
			kv := getResp.Kvs[0]
			origRev = kv.ModRevision
			if origData, stale, err = s.fromStorage(ctx, key, kv.Value); err != nil {
				return apierrors.NewInternalError(err)
			}
			if err := s.decode(origData, origRev, current); err != nil {
				return err
			}
			if err := preconditions.Check(key, current); err != nil {
				return err
			}
		}

		updated, err := tryUpdate(current)
		if err != nil {
			return err
		}
		data, err := s.encode(updated)
		if err != nil {
			return err
		}
		if origRev != 0 && !stale && bytes.Equal(data, origData) {
			// Nothing changed: no write, the stored object is the answer.
			return s.decode(origData, origRev, dest)
		}
		stored, err := s.toStorage(ctx, key, data)
		if err != nil {
			return err
		}
		putOpts, err := s.putOptions(ctx)
		if err != nil {
			return unreachable(key, err)
		}
		resp, err := s.commit(ctx, func(txn clientv3.Txn) clientv3.Txn {
			return txn.If(clientv3.Compare(clientv3.ModRevision(key), "=", origRev)).
				Then(clientv3.OpPut(key, string(stored), putOpts...)).
				Else(clientv3.OpGet(key))
		})
		if err != nil {
			return unreachable(key, err)
		}
		if resp.Succeeded {
			return s.decode(data, resp.Header.Revision, dest)
		}
		getResp = (*clientv3.GetResponse)(resp.Responses[0].GetResponseRange())
	}
}

func (s *Store) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validate storage.ValidateDeleteFunc) error {
	getResp, err := s.get(ctx, key)
	if err != nil {
		return unreachable(key, err)
	}
	for {
		if len(getResp.Kvs) == 0 {
			return storage.NewError(storage.CodeNotFound, key, "")
		}
		kv := getResp.Kvs[0]
		current := s.newFunc()
		if err := s.decodeStored(ctx, key, kv.Value, kv.ModRevision, current); err != nil {
			return err
		}
		if err := preconditions.Check(key, current); err != nil {
			return err
		}
		if validate != nil {
			if err := validate(ctx, current); err != nil {
				return err
			}
		}
		resp, err := s.commit(ctx, func(txn clientv3.Txn) clientv3.Txn {
			return txn.If(clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)).
				Then(clientv3.OpDelete(key)).
				Else(clientv3.OpGet(key))
		})
		if err != nil {
			return unreachable(key, err)
		}
		if resp.Succeeded {
			return s.decodeStored(ctx, key, kv.Value, kv.ModRevision, out)
		}
		getResp = (*clientv3.GetResponse)(resp.Responses[0].GetResponseRange())
	}
}

// checkMinimumRV fails when the caller asks for a resourceVersion newer than etcd has.
func checkMinimumRV(rv string, current int64) error {
	if rv == "" || rv == "0" {
		return nil
	}
	min, err := strconv.ParseInt(rv, 10, 64)
	if err != nil {
		return storage.NewError(storage.CodeInvalidObj, "", "invalid resource version: %s", rv)
	}
	if min > current {
		return storage.NewError(storage.CodeTooLargeResourceVersion, "",
			"Too large resource version: %d, current: %d", min, current)
	}
	return nil
}

func unreachable(key string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &storage.Error{Code: storage.CodeUnreachable, Key: key, Message: fmt.Sprintf("etcd: %v", err)}
}

// zero resets out to its zero value.
func zero(out runtime.Object) error {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("unexpected object %T", out)
	}
	v.Elem().Set(reflect.Zero(v.Elem().Type()))
	return nil
}

// parseRV parses a non-empty resourceVersion.
func parseRV(rv string) (int64, error) {
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || n < 0 {
		return 0, storage.NewError(storage.CodeInvalidObj, "", "invalid resource version: %s", rv)
	}
	return n, nil
}
