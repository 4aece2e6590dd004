//go:build !linux

package exepages

import "errors"

func release(start, length uintptr) error {
	return errors.New("releasing executable pages needs Linux")
}
