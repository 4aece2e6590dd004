package value

import (
	"bytes"
	"context"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// Prefixed is a transformer and the prefix its values carry in storage, e.g.
// "k8s:enc:aescbc:v1:" for a provider or "key1:" for one of its keys.
type Prefixed struct {
	Prefix      []byte
	Transformer Transformer
}

// prefixList writes with its first entry and reads with the entries whose prefix
// the value has, in order.
type prefixList struct {
	entries []Prefixed
	// noMatch is the error for a value that no entry's prefix matches.
	noMatch error
}

// NewPrefixList composes entries the way kube-apiserver orders providers and keys:
// writes use entries[0] and carry its prefix; a read strips the prefix of the first
// entry that matches and decrypts without it, trying the next matching entry when
// that fails (several providers of one kind share a prefix while a key is rotated).
// A read by any entry but the first is stale. An empty prefix (identity) matches
// every value but its failure on encrypted data is not reported. noMatch is returned
// when nothing matched. entries must not be empty.
func NewPrefixList(noMatch error, entries ...Prefixed) Transformer {
	return &prefixList{entries: entries, noMatch: noMatch}
}

func (p *prefixList) TransformFromStorage(ctx context.Context, data, authData []byte) ([]byte, bool, error) {
	var errs []error
	for i, e := range p.entries {
		if !bytes.HasPrefix(data, e.Prefix) {
			continue
		}
		out, stale, err := e.Transformer.TransformFromStorage(ctx, data[len(e.Prefix):], authData)
		if err != nil {
			if len(e.Prefix) > 0 {
				errs = append(errs, err)
			}
			continue
		}
		return out, stale || i != 0, nil
	}
	if err := utilerrors.Reduce(utilerrors.NewAggregate(errs)); err != nil {
		return nil, false, err
	}
	return nil, false, p.noMatch
}

func (p *prefixList) TransformToStorage(ctx context.Context, data, authData []byte) ([]byte, error) {
	first := p.entries[0]
	out, err := first.Transformer.TransformToStorage(ctx, data, authData)
	if err != nil {
		return nil, err
	}
	stored := make([]byte, 0, len(first.Prefix)+len(out))
	stored = append(stored, first.Prefix...)
	return append(stored, out...), nil
}
