package schema

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
)

// pruneDefaults prunes every default in the tree as if it were set in a whole
// resource: unknown fields are removed and embedded metadata coerced, so the
// defaults applied to objects are already in their pruned form.
func pruneDefaults(root *node) error {
	_, err := pruneDefaultsAt(root, root.asResourceRoot(), nil)
	return err
}

func pruneDefaultsAt(n, root *node, path []step) (bool, error) {
	if n == nil {
		return false, nil
	}
	changed := false
	if n.def != nil {
		orig := runtime.DeepCopyJSONValue(n.def)
		obj, err := surround(n.def, path, false)
		if err != nil {
			return false, err
		}
		c := coercer{dropInvalid: true}
		if ferr := c.coerce(nil, obj, root); ferr != nil {
			return false, ferr
		}
		p := pruner{}
		p.prune(obj, root)
		n.def, _ = extract(obj, path)
		changed = !reflect.DeepEqual(orig, n.def)
	}
	if n.hasAdditional && n.additional != nil {
		c, err := pruneDefaultsAt(n.additional, root, withKey(path, "*"))
		if err != nil {
			return false, err
		}
		changed = changed || c
	}
	if n.items != nil {
		c, err := pruneDefaultsAt(n.items, root, withIndex(path))
		if err != nil {
			return false, err
		}
		changed = changed || c
	}
	for k, p := range n.props {
		c, err := pruneDefaultsAt(p, root, withKey(path, k))
		if err != nil {
			return false, err
		}
		changed = changed || c
	}
	return changed, nil
}
