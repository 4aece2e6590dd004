package celrules

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// fieldPathTokens splits a rule's fieldPath into '.', '[' and ']' delimiters,
// single-quoted strings (kept with their quotes) and the names between them. An
// unterminated quoted string ends the token list early.
func fieldPathTokens(p string) []string {
	var toks []string
	for i := 0; i < len(p); {
		switch c := p[i]; {
		case c == '.' || c == '[' || c == ']':
			toks = append(toks, p[i:i+1])
			i++
		case c == '\'':
			end := -1
			for j := i + 1; j < len(p); j++ {
				if p[j] == '\'' && p[j-1] != '\\' {
					end = j
					break
				}
			}
			if end < 0 {
				return toks
			}
			toks = append(toks, p[i:end+1])
			i = end + 1
		default:
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' && p[j] != ']' {
				j++
			}
			toks = append(toks, p[i:j])
			i = j
		}
	}
	return toks
}

// unescapeQuoted resolves the backslash escapes of a single-quoted fieldPath key.
func unescapeQuoted(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '\'':
			b.WriteByte('\'')
		case '\\':
			b.WriteByte('\\')
		default:
			return "", fmt.Errorf("invalid escape char \\%c", s[i])
		}
	}
	return b.String(), nil
}

var errNotAField = errors.New("does not refer to a valid field")

// validFieldPath checks that a rule's fieldPath (".a.b", ".m['key']") names a
// field or map entry of n and returns it as a field path.
func validFieldPath(p string, n *node) (*field.Path, *node, error) {
	var path *field.Path
	step := func(name string) error {
		switch {
		case n == nil:
			return errNotAField
		case n.props != nil:
			child, ok := n.props[name]
			if !ok {
				return errNotAField
			}
			path, n = path.Child(name), child
		case n.additional != nil:
			path, n = path.Key(name), n.additional
		default:
			return errNotAField
		}
		return nil
	}
	toks := fieldPathTokens(p)
	for i := 0; i < len(toks); i++ {
		switch toks[i] {
		case "[":
			if i+1 >= len(toks) {
				return nil, nil, errors.New("unexpected end of JSON path")
			}
			i++
			tok := toks[i]
			if len(tok) < 2 || tok[0] != '\'' || tok[len(tok)-1] != '\'' {
				return nil, nil, fmt.Errorf("expected single quoted string but got %s", tok)
			}
			key, err := unescapeQuoted(tok[1 : len(tok)-1])
			if err != nil {
				return nil, nil, fmt.Errorf("invalid string literal: %w", err)
			}
			if err := step(key); err != nil {
				return nil, nil, err
			}
			if i+1 >= len(toks) {
				return nil, nil, errors.New("unexpected end of JSON path")
			}
			i++
			if toks[i] != "]" {
				return nil, nil, fmt.Errorf("expected ] but got %s", toks[i])
			}
		case ".":
			if i+1 >= len(toks) {
				return nil, nil, errors.New("unexpected end of JSON path")
			}
			i++
			if err := step(toks[i]); err != nil {
				return nil, nil, err
			}
		default:
			return nil, nil, fmt.Errorf("expected [ or . but got: %s", toks[i])
		}
	}
	return path, n, nil
}
