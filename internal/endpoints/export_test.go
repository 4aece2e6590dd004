package endpoints

// SplicedLists is how many LIST responses were written by splicing kept item
// encodings (tests in package endpoints_test check the path was taken).
func SplicedLists() int64 { return splicedLists.Load() }
