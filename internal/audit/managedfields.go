package audit

import "encoding/json"

// StripManagedFields removes metadata.managedFields from a JSON object, from each
// item of a list and from each row object of a Table, as omitManagedFields asks. Input
// it does not understand is returned unchanged.
func StripManagedFields(doc []byte) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(doc, &obj) != nil {
		return doc
	}
	changed := stripMetadata(obj)
	for _, key := range []string{"items", "rows"} {
		raw, ok := obj[key]
		if !ok {
			continue
		}
		var elems []map[string]json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			continue
		}
		elemChanged := false
		for _, el := range elems {
			target := el
			if key == "rows" {
				var inner map[string]json.RawMessage
				if json.Unmarshal(el["object"], &inner) != nil || !stripMetadata(inner) {
					continue
				}
				b, _ := json.Marshal(inner)
				el["object"] = b
				elemChanged = true
				continue
			}
			if stripMetadata(target) {
				elemChanged = true
			}
		}
		if elemChanged {
			b, _ := json.Marshal(elems)
			obj[key] = b
			changed = true
		}
	}
	if !changed {
		return doc
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return doc
	}
	return out
}

// stripMetadata drops obj.metadata.managedFields, reporting whether it was there.
func stripMetadata(obj map[string]json.RawMessage) bool {
	var meta map[string]json.RawMessage
	if json.Unmarshal(obj["metadata"], &meta) != nil {
		return false
	}
	if _, ok := meta["managedFields"]; !ok {
		return false
	}
	delete(meta, "managedFields")
	b, err := json.Marshal(meta)
	if err != nil {
		return false
	}
	obj["metadata"] = b
	return true
}
