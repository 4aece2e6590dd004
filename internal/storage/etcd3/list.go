package etcd3

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path"
	"reflect"
	"strconv"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/storage"
)

// continueToken is the opaque continue value of a paginated list, in kube-apiserver's
// format: base64url(JSON) with the snapshot revision and the next key relative to the
// listed prefix.
type continueToken struct {
	APIVersion      string `json:"v"`
	ResourceVersion int64  `json:"rv"`
	StartKey        string `json:"start"`
}

// EncodeContinue builds a continue token resuming at the key after rel at rev.
func EncodeContinue(rel string, rev int64) (string, error) {
	b, err := json.Marshal(continueToken{APIVersion: "meta.k8s.io/v1", ResourceVersion: rev, StartKey: rel})
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DecodeContinue parses a continue token into the key relative to the prefix and the
// snapshot revision; a negative revision (a token handed out with a 410 after
// compaction) continues at the latest one. Its errors are kube-apiserver's words.
func DecodeContinue(token string) (rel string, rev int64, err error) {
	invalid := func(format string, args ...any) error {
		return storage.NewError(storage.CodeInvalidObj, "", "invalid continue token: continue key is not valid"+format, args...)
	}
	data, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", 0, invalid(": %v", err)
	}
	var c continueToken
	if err := json.Unmarshal(data, &c); err != nil {
		return "", 0, invalid(": %v", err)
	}
	if c.APIVersion != "meta.k8s.io/v1" {
		return "", 0, invalid(": server does not recognize this encoded version %v", c.APIVersion)
	}
	if c.ResourceVersion == 0 {
		return "", 0, invalid(": incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
	}
	if c.StartKey == "" {
		return "", 0, invalid(": encoded start key empty (version meta.k8s.io/v1)")
	}
	// The key may not climb out of the listed prefix.
	key := c.StartKey
	if !strings.HasPrefix(key, "/") {
		key = "/" + key
	}
	if path.Clean(key) != key {
		return "", 0, invalid(": %v", c.StartKey)
	}
	return key[1:], c.ResourceVersion, nil
}

// pageSize is how many keys one etcd range read fetches while filtering a selector list.
const pageSize = 500

func (s *Store) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	listAcc, err := meta.ListAccessor(listObj)
	if err != nil {
		return err
	}
	items, err := itemsValue(listObj)
	if err != nil {
		return err
	}
	pred := opts.Predicate
	if opts.Recursive && !strings.HasSuffix(key, "/") {
		key += "/"
	}

	var withRev int64
	startKey := key
	switch {
	case pred.Continue != "":
		rel, rev, err := DecodeContinue(pred.Continue)
		if err != nil {
			return err
		}
		// The token carries the snapshot; a resourceVersion beside it is refused,
		// once the token is known to be a good one (upstream's order).
		if opts.ResourceVersion != "" && opts.ResourceVersion != "0" {
			return storage.NewError(storage.CodeInvalidObj, "", "specifying resource version is not allowed when using continue")
		}
		startKey, withRev = key+rel, max(rev, 0)
	case opts.ResourceVersionMatch == metav1.ResourceVersionMatchExact:
		if withRev, err = parseRV(opts.ResourceVersion); err != nil {
			return err
		}
	case opts.ResourceVersionMatch == "" && pred.Limit > 0 && opts.ResourceVersion != "" && opts.ResourceVersion != "0":
		// A paginated list at a given resourceVersion reads that exact snapshot.
		if withRev, err = parseRV(opts.ResourceVersion); err != nil {
			return err
		}
	}

	firstKey := startKey
	rangeEnd := clientv3.GetPrefixRangeEnd(key)
	if !opts.Recursive {
		rangeEnd = ""
	}
	limit := pred.Limit
	fetch := limit
	if !pred.Empty() && fetch > 0 && fetch < pageSize {
		fetch = pageSize
	}
	var (
		returned  int64
		lastKey   string
		hasMore   bool
		remaining int64 = -1
	)
	for {
		getOpts := []clientv3.OpOption{clientv3.WithRev(withRev)}
		if rangeEnd != "" {
			getOpts = append(getOpts, clientv3.WithRange(rangeEnd))
		}
		if fetch > 0 {
			getOpts = append(getOpts, clientv3.WithLimit(fetch))
		}
		resp, err := s.get(ctx, startKey, getOpts...)
		if err != nil {
			if errors.Is(err, rpctypes.ErrCompacted) {
				expired := &storage.Error{Code: storage.CodeExpired, Key: key, Message: "The resourceVersion for the provided list is too old."}
				if pred.Continue != "" {
					// The client may go on from the same key at the latest revision.
					expired.Continue, _ = EncodeContinue(strings.TrimPrefix(firstKey, key), -1)
				}
				return expired
			}
			if errors.Is(err, rpctypes.ErrFutureRev) {
				return storage.NewError(storage.CodeTooLargeResourceVersion, key, "Too large resource version: %d", withRev)
			}
			return unreachable(key, err)
		}
		if withRev == 0 {
			withRev = resp.Header.Revision
			if opts.ResourceVersionMatch == metav1.ResourceVersionMatchNotOlderThan || opts.ResourceVersion != "" {
				if err := checkMinimumRV(opts.ResourceVersion, withRev); err != nil {
					return err
				}
			}
		}
		for i, kv := range resp.Kvs {
			if limit > 0 && returned == limit {
				hasMore = true
				break
			}
			obj := s.newFunc()
			if err := s.decodeListItem(ctx, kv.Key, kv.Value, kv.ModRevision, obj); err != nil {
				return err
			}
			lastKey = string(kv.Key)
			ok, err := pred.Matches(obj)
			if err != nil {
				return err
			}
			if ok {
				appendItem(items, obj)
				returned++
			}
			if limit > 0 && returned == limit && pred.Empty() {
				hasMore = i < len(resp.Kvs)-1 || resp.More
				if hasMore {
					remaining = resp.Count - int64(i) - 1
				}
				break
			}
		}
		if limit == 0 || !resp.More || returned == limit || len(resp.Kvs) == 0 {
			if returned == limit && limit > 0 && resp.More {
				hasMore = true
			}
			break
		}
		startKey = lastKey + "\x00"
	}

	listAcc.SetResourceVersion(strconv.FormatInt(withRev, 10))
	if hasMore && lastKey != "" {
		token, err := EncodeContinue(strings.TrimPrefix(lastKey, key)+"\x00", withRev)
		if err != nil {
			return err
		}
		listAcc.SetContinue(token)
		if remaining >= 0 {
			listAcc.SetRemainingItemCount(&remaining)
		}
	}
	return nil
}

// itemsValue returns the addressable Items slice of a list object.
func itemsValue(listObj runtime.Object) (reflect.Value, error) {
	ptr, err := meta.GetItemsPtr(listObj)
	if err != nil {
		return reflect.Value{}, err
	}
	return reflect.ValueOf(ptr).Elem(), nil
}

// appendItem appends *obj to items; list items carry no apiVersion/kind, as upstream's.
func appendItem(items reflect.Value, obj runtime.Object) {
	v := reflect.ValueOf(obj).Elem()
	if items.Type().Elem().Kind() == reflect.Pointer {
		items.Set(reflect.Append(items, reflect.ValueOf(obj)))
		return
	}
	items.Set(reflect.Append(items, v))
	last := items.Index(items.Len() - 1)
	if tm := last.FieldByName("TypeMeta"); tm.IsValid() && tm.CanSet() {
		tm.Set(reflect.Zero(tm.Type()))
	}
}
