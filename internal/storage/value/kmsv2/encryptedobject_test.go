package kmsv2_test

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/kapi-dev/kapi/internal/storage/value/kmsv2"
)

// referenceType is upstream's v2.EncryptedObject message built from its descriptor
// at run time, so that protobuf itself checks our hand-written encoding.
func referenceType(t testing.TB) protoreflect.MessageType {
	t.Helper()
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	field := func(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type, typeName string) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Label: opt, Type: typ.Enum(), JsonName: proto.String(name)}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	annotations := field("annotations", 4, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, ".v2.EncryptedObject.AnnotationsEntry")
	annotations.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
	fdp := &descriptorpb.FileDescriptorProto{
		Name: proto.String("kapi/kmsv2/api.proto"), Package: proto.String("v2"), Syntax: proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("EncryptedObject"),
			Field: []*descriptorpb.FieldDescriptorProto{
				field("encryptedData", 1, descriptorpb.FieldDescriptorProto_TYPE_BYTES, ""),
				field("keyID", 2, descriptorpb.FieldDescriptorProto_TYPE_STRING, ""),
				field("encryptedDEKSource", 3, descriptorpb.FieldDescriptorProto_TYPE_BYTES, ""),
				annotations,
				field("encryptedDEKSourceType", 5, descriptorpb.FieldDescriptorProto_TYPE_ENUM, ".v2.EncryptedDEKSourceType"),
			},
			NestedType: []*descriptorpb.DescriptorProto{{
				Name: proto.String("AnnotationsEntry"),
				Field: []*descriptorpb.FieldDescriptorProto{
					field("key", 1, descriptorpb.FieldDescriptorProto_TYPE_STRING, ""),
					field("value", 2, descriptorpb.FieldDescriptorProto_TYPE_BYTES, ""),
				},
				Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
			}},
		}},
		EnumType: []*descriptorpb.EnumDescriptorProto{{
			Name: proto.String("EncryptedDEKSourceType"),
			Value: []*descriptorpb.EnumValueDescriptorProto{
				{Name: proto.String("AES_GCM_KEY"), Number: proto.Int32(0)},
				{Name: proto.String("HKDF_SHA256_XNONCE_AES_GCM_SEED"), Number: proto.Int32(1)},
			},
		}},
	}
	fd, err := protodesc.NewFile(fdp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dynamicpb.NewMessageType(fd.Messages().ByName("EncryptedObject"))
}

// fromReference reads a reference message into our struct for comparison.
func fromReference(m protoreflect.Message) *kmsv2.EncryptedObject {
	fields := m.Descriptor().Fields()
	o := &kmsv2.EncryptedObject{
		EncryptedData:          m.Get(fields.ByNumber(1)).Bytes(),
		KeyID:                  m.Get(fields.ByNumber(2)).String(),
		EncryptedDEKSource:     m.Get(fields.ByNumber(3)).Bytes(),
		EncryptedDEKSourceType: kmsv2.DEKSourceType(m.Get(fields.ByNumber(5)).Enum()),
	}
	m.Get(fields.ByNumber(4)).Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		if o.Annotations == nil {
			o.Annotations = map[string][]byte{}
		}
		o.Annotations[k.String()] = v.Bytes()
		return true
	})
	return o
}

func toReference(typ protoreflect.MessageType, o *kmsv2.EncryptedObject) proto.Message {
	m := typ.New()
	fields := m.Descriptor().Fields()
	if len(o.EncryptedData) > 0 {
		m.Set(fields.ByNumber(1), protoreflect.ValueOfBytes(o.EncryptedData))
	}
	if o.KeyID != "" {
		m.Set(fields.ByNumber(2), protoreflect.ValueOfString(o.KeyID))
	}
	if len(o.EncryptedDEKSource) > 0 {
		m.Set(fields.ByNumber(3), protoreflect.ValueOfBytes(o.EncryptedDEKSource))
	}
	mp := m.Mutable(fields.ByNumber(4)).Map()
	for k, v := range o.Annotations {
		mp.Set(protoreflect.ValueOfString(k).MapKey(), protoreflect.ValueOfBytes(v))
	}
	m.Set(fields.ByNumber(5), protoreflect.ValueOfEnum(protoreflect.EnumNumber(o.EncryptedDEKSourceType)))
	return m.Interface()
}

func sameObject(a, b *kmsv2.EncryptedObject) bool {
	if !bytes.Equal(a.EncryptedData, b.EncryptedData) || a.KeyID != b.KeyID ||
		!bytes.Equal(a.EncryptedDEKSource, b.EncryptedDEKSource) || a.EncryptedDEKSourceType != b.EncryptedDEKSourceType ||
		len(a.Annotations) != len(b.Annotations) {
		return false
	}
	for k, v := range a.Annotations {
		if w, ok := b.Annotations[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

func TestEncryptedObjectMatchesProtobuf(t *testing.T) {
	typ := referenceType(t)
	tests := []struct {
		name string
		obj  kmsv2.EncryptedObject
	}{
		{name: "seed DEK", obj: kmsv2.EncryptedObject{EncryptedData: []byte("data"), KeyID: "key-1", EncryptedDEKSource: []byte("dek"), EncryptedDEKSourceType: kmsv2.DEKSourceHKDFSeed}},
		{name: "legacy AES-GCM DEK omits the zero enum", obj: kmsv2.EncryptedObject{EncryptedData: []byte("d"), KeyID: "k", EncryptedDEKSource: []byte("s")}},
		{name: "annotations in key order", obj: kmsv2.EncryptedObject{EncryptedData: []byte("d"), KeyID: "k", EncryptedDEKSource: []byte("s"),
			Annotations: map[string][]byte{"b.example.com": []byte("2"), "a.example.com": []byte("1"), "c.example.com": {}}}},
		{name: "long fields", obj: kmsv2.EncryptedObject{EncryptedData: bytes.Repeat([]byte{7}, 70000), KeyID: strings.Repeat("k", 300), EncryptedDEKSource: bytes.Repeat([]byte{1}, 1024)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := proto.MarshalOptions{Deterministic: true}.Marshal(toReference(typ, &tc.obj))
			if err != nil {
				t.Fatal(err)
			}
			got := tc.obj.Marshal()
			if !bytes.Equal(got, want) {
				t.Fatalf("encoding differs from protobuf's:\n got %x\nwant %x", got, want)
			}
			back, err := kmsv2.UnmarshalEncryptedObject(got)
			if err != nil || !sameObject(back, &tc.obj) {
				t.Fatalf("decode: %v %+v", err, back)
			}
		})
	}
}

func TestEncryptedObjectValidate(t *testing.T) {
	valid := func() kmsv2.EncryptedObject {
		return kmsv2.EncryptedObject{EncryptedData: []byte("d"), KeyID: "k", EncryptedDEKSource: []byte("s"), EncryptedDEKSourceType: kmsv2.DEKSourceHKDFSeed}
	}
	tests := []struct {
		name   string
		mutate func(*kmsv2.EncryptedObject)
		want   string
	}{
		{name: "valid", mutate: func(*kmsv2.EncryptedObject) {}},
		{name: "unknown DEK type", mutate: func(o *kmsv2.EncryptedObject) { o.EncryptedDEKSourceType = 2 }, want: "unknown encryptedDEKSourceType: 2"},
		{name: "no data", mutate: func(o *kmsv2.EncryptedObject) { o.EncryptedData = nil }, want: "encrypted data is empty"},
		{name: "no DEK", mutate: func(o *kmsv2.EncryptedObject) { o.EncryptedDEKSource = nil },
			want: "failed to validate encrypted DEK source: encrypted DEK source is empty"},
		{name: "DEK too large", mutate: func(o *kmsv2.EncryptedObject) { o.EncryptedDEKSource = make([]byte, 1025) },
			want: "failed to validate encrypted DEK source: encrypted DEK source is 1025 bytes, which exceeds the max size of 1024"},
		{name: "no key id", mutate: func(o *kmsv2.EncryptedObject) { o.KeyID = "" }, want: "failed to validate key id: keyID is empty"},
		{name: "key id too long", mutate: func(o *kmsv2.EncryptedObject) { o.KeyID = strings.Repeat("k", 1025) },
			want: "failed to validate key id: keyID is 1025 bytes, which exceeds the max size of 1024"},
		{name: "annotation key not a domain", mutate: func(o *kmsv2.EncryptedObject) { o.Annotations = map[string][]byte{"Not_A_Domain": nil} },
			want: "failed to validate annotations: annotations: Invalid value: \"Not_A_Domain\""},
		{name: "annotations too large", mutate: func(o *kmsv2.EncryptedObject) {
			o.Annotations = map[string][]byte{"a.example.com": make([]byte, 32*1024)}
		}, want: "failed to validate annotations: total size of annotations is 32781, which exceeds the max size of 32768"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := valid()
			tc.mutate(&o)
			err := o.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want prefix %q", err, tc.want)
			}
		})
	}
}

// FuzzUnmarshalEncryptedObject checks the hand-written decoder against protobuf
// itself: the same inputs fail, the rest decode to the same fields. It never panics.
func FuzzUnmarshalEncryptedObject(f *testing.F) {
	typ := referenceType(f)
	f.Add([]byte{})
	f.Add((&kmsv2.EncryptedObject{EncryptedData: []byte("d"), KeyID: "k", EncryptedDEKSource: []byte("s"),
		Annotations: map[string][]byte{"a.b": []byte("v")}, EncryptedDEKSourceType: 1}).Marshal())
	f.Add([]byte{0x0a, 0x05, 'a'})           // truncated bytes
	f.Add([]byte{0x12, 0x01, 0xff})          // invalid UTF-8 key id
	f.Add([]byte{0x28, 0x07, 0x0d, 1, 2, 3}) // enum 7, then a fixed32 unknown field
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := kmsv2.UnmarshalEncryptedObject(b)
		ref := typ.New()
		refErr := proto.Unmarshal(b, ref.Interface())
		if (err == nil) != (refErr == nil) {
			t.Fatalf("decoder error %v, protobuf error %v", err, refErr)
		}
		if err != nil {
			return
		}
		if want := fromReference(ref); !sameObject(got, want) {
			t.Fatalf("decoded %+v, protobuf %+v", got, want)
		}
		_ = got.Validate()
	})
}
