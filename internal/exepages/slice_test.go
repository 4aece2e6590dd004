package exepages

import "unsafe"

// sliceStart is the address of b's first byte.
func sliceStart(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
