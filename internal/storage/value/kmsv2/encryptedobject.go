package kmsv2

import (
	"errors"
	"fmt"
	"sort"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// DEKSourceType says what the plaintext of EncryptedDEKSource is.
type DEKSourceType int32

const (
	// DEKSourceAESGCMKey: the DEK itself, an AES-GCM key (servers before KMS v2 KDF).
	DEKSourceAESGCMKey DEKSourceType = 0
	// DEKSourceHKDFSeed: a seed; each value's key is HKDF-SHA256(seed, first 32 bytes
	// of EncryptedData).
	DEKSourceHKDFSeed DEKSourceType = 1
)

// Limits kube-apiserver enforces on every EncryptedObject it reads or writes.
const (
	keyIDMaxSize              = 1024
	encryptedDEKSourceMaxSize = 1024
	annotationsMaxSize        = 32 * 1024
)

// EncryptedObject is what a KMS v2 value holds after its prefix: the message
// v2.EncryptedObject of kube-apiserver, field numbers 1 to 5.
type EncryptedObject struct {
	EncryptedData          []byte            // 1
	KeyID                  string            // 2
	EncryptedDEKSource     []byte            // 3
	Annotations            map[string][]byte // 4
	EncryptedDEKSourceType DEKSourceType     // 5
}

// Marshal encodes o in protobuf wire format, fields in number order and annotations
// sorted by key; proto3 default values are omitted as protobuf does.
func (o *EncryptedObject) Marshal() []byte {
	b := make([]byte, 0, len(o.EncryptedData)+len(o.KeyID)+len(o.EncryptedDEKSource)+32)
	if len(o.EncryptedData) > 0 {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, o.EncryptedData)
	}
	if o.KeyID != "" {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, o.KeyID)
	}
	if len(o.EncryptedDEKSource) > 0 {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendBytes(b, o.EncryptedDEKSource)
	}
	keys := make([]string, 0, len(o.Annotations))
	for k := range o.Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var entry []byte
		entry = protowire.AppendTag(entry, 1, protowire.BytesType)
		entry = protowire.AppendString(entry, k)
		entry = protowire.AppendTag(entry, 2, protowire.BytesType)
		entry = protowire.AppendBytes(entry, o.Annotations[k])
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendBytes(b, entry)
	}
	if o.EncryptedDEKSourceType != 0 {
		b = protowire.AppendTag(b, 5, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(int64(o.EncryptedDEKSourceType)))
	}
	return b
}

var errInvalidUTF8 = errors.New("string field contains invalid UTF-8")

// UnmarshalEncryptedObject decodes b as protobuf does: unknown fields are skipped, a
// repeated scalar keeps its last value, strings must be UTF-8, and a field with an
// unexpected wire type is skipped like an unknown one.
func UnmarshalEncryptedObject(b []byte) (*EncryptedObject, error) {
	o := &EncryptedObject{}
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			o.EncryptedData, b = append([]byte{}, v...), b[n:]
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			if !utf8.Valid(v) {
				return nil, errInvalidUTF8
			}
			o.KeyID, b = string(v), b[n:]
		case num == 3 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			o.EncryptedDEKSource, b = append([]byte{}, v...), b[n:]
		case num == 4 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			k, val, err := unmarshalMapEntry(v)
			if err != nil {
				return nil, err
			}
			if o.Annotations == nil {
				o.Annotations = map[string][]byte{}
			}
			o.Annotations[k], b = val, b[n:]
		case num == 5 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			o.EncryptedDEKSourceType, b = DEKSourceType(int32(v)), b[n:]
		default:
			// Unknown fields, and known ones with another wire type, are skipped as
			// protobuf skips them.
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return o, nil
}

// consumeTag reads a field tag, refusing field numbers protobuf does not allow.
func consumeTag(b []byte) (protowire.Number, protowire.Type, int) {
	num, typ, n := protowire.ConsumeTag(b)
	if n >= 0 && num > protowire.MaxValidNumber {
		return 0, 0, -2 // protowire's code for an invalid field number
	}
	return num, typ, n
}

// unmarshalMapEntry decodes one annotations entry: key (1, string), value (2, bytes).
func unmarshalMapEntry(b []byte) (string, []byte, error) {
	var key string
	val := []byte{}
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return "", nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case (num == 1 || num == 2) && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return "", nil, protowire.ParseError(n)
			}
			b = b[n:]
			if num == 1 {
				if !utf8.Valid(v) {
					return "", nil, errInvalidUTF8
				}
				key = string(v)
			} else {
				val = append([]byte{}, v...)
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return "", nil, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return key, val, nil
}

// Validate applies kube-apiserver's checks to an object it reads or writes.
func (o *EncryptedObject) Validate() error {
	switch o.EncryptedDEKSourceType {
	case DEKSourceAESGCMKey, DEKSourceHKDFSeed:
	default:
		return fmt.Errorf("unknown encryptedDEKSourceType: %d", o.EncryptedDEKSourceType)
	}
	if len(o.EncryptedData) == 0 {
		return errors.New("encrypted data is empty")
	}
	if err := validateEncryptedDEKSource(o.EncryptedDEKSource); err != nil {
		return fmt.Errorf("failed to validate encrypted DEK source: %w", err)
	}
	if err := validateKeyID(o.KeyID); err != nil {
		return fmt.Errorf("failed to validate key id: %w", err)
	}
	if err := validateAnnotations(o.Annotations); err != nil {
		return fmt.Errorf("failed to validate annotations: %w", err)
	}
	return nil
}

func validateEncryptedDEKSource(src []byte) error {
	if len(src) == 0 {
		return errors.New("encrypted DEK source is empty")
	}
	if len(src) > encryptedDEKSourceMaxSize {
		return fmt.Errorf("encrypted DEK source is %d bytes, which exceeds the max size of %d", len(src), encryptedDEKSourceMaxSize)
	}
	return nil
}

func validateKeyID(keyID string) error {
	if keyID == "" {
		return errors.New("keyID is empty")
	}
	if len(keyID) > keyIDMaxSize {
		return fmt.Errorf("keyID is %d bytes, which exceeds the max size of %d", len(keyID), keyIDMaxSize)
	}
	return nil
}

func validateAnnotations(annotations map[string][]byte) error {
	var errs []error
	total := 0
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if fe := validation.IsFullyQualifiedDomainName(field.NewPath("annotations"), k); len(fe) > 0 {
			errs = append(errs, fe.ToAggregate())
		}
		total += len(k) + len(annotations[k])
	}
	if total > annotationsMaxSize {
		errs = append(errs, fmt.Errorf("total size of annotations is %d, which exceeds the max size of %d", total, annotationsMaxSize))
	}
	return utilerrors.NewAggregate(errs)
}
