package celrules

import (
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// typeProvider declares the object types of one compiled schema node on top of the
// environment's own provider, so the checker knows which fields self has.
type typeProvider struct {
	base    types.Provider
	objects map[string]*declType
}

var _ types.Provider = (*typeProvider)(nil)

func (p *typeProvider) EnumValue(name string) ref.Val { return p.base.EnumValue(name) }

func (p *typeProvider) FindIdent(name string) (ref.Val, bool) { return p.base.FindIdent(name) }

func (p *typeProvider) FindStructType(name string) (*types.Type, bool) {
	if _, ok := p.objects[name]; ok {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.base.FindStructType(name)
}

func (p *typeProvider) FindStructFieldNames(name string) ([]string, bool) {
	if t, ok := p.objects[name]; ok {
		names := make([]string, 0, len(t.fields))
		for f := range t.fields {
			names = append(names, f)
		}
		return names, true
	}
	return p.base.FindStructFieldNames(name)
}

func (p *typeProvider) FindStructFieldType(name, fieldName string) (*types.FieldType, bool) {
	t, ok := p.objects[name]
	if !ok {
		return p.base.FindStructFieldType(name, fieldName)
	}
	ft, ok := t.fields[fieldName]
	if !ok {
		return nil, false
	}
	// No IsSet/GetFrom: selection then goes through the value's Mapper, which
	// types members by their schema.
	return &types.FieldType{Type: ft.celType()}, true
}

// NewValue refuses object literals of schema types: rules read objects, they do
// not build them.
func (p *typeProvider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.objects[name]; ok {
		return types.NewErr("cannot construct values of type %s", name)
	}
	return p.base.NewValue(name, fields)
}
