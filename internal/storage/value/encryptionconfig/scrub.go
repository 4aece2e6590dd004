package encryptionconfig

import (
	"errors"
	"strings"
)

// minSecretRun is the shortest run of base64 characters scrubbed from decoding
// errors: the base64 form of the smallest key (16 bytes) is 24 characters.
const minSecretRun = 16

// scrub hides what could be a base64 secret in an error about a malformed file:
// YAML and JSON decoders quote the content they choke on. A run of at least 16
// base64 characters with a digit, '+', '/' or '=' in it becomes REDACTED; words,
// group names and kinds stay readable.
func scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var b strings.Builder
	changed := false
	for i := 0; i < len(msg); {
		j := i
		for j < len(msg) && isBase64Char(msg[j]) {
			j++
		}
		if j == i {
			b.WriteByte(msg[i])
			i++
			continue
		}
		run := msg[i:j]
		if len(run) >= minSecretRun && strings.ContainsAny(run, "0123456789+/=") {
			b.WriteString("REDACTED")
			changed = true
		} else {
			b.WriteString(run)
		}
		i = j
	}
	if !changed {
		return err
	}
	return errors.New(b.String())
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}
