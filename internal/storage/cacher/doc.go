// Package cacher is the watch cache: a storage.Interface in front of the etcd3 store
// that keeps one etcd watch per resource and serves watches, RV="0" reads and
// consistent lists from memory, so that thousands of watchers cost one etcd stream.
//
// Writes pass through to the underlying store. The cache holds the current objects
// and a ring buffer of recent events; a watch from a resourceVersion older than the
// buffer gets 410 Expired, and a watcher that cannot keep up is terminated (and
// counted) instead of slowing the others down.
//
// Goroutines: New starts the reflector (etcd list+watch, applies and dispatches
// events) and the ticker (progress requests, bookmarks); Stop ends both. A watcher
// that starts with a backlog (initial state or replay) has a goroutine until it has
// caught up, ended by its Stop, by termination or by Cacher.Stop; a caught-up
// watcher has none: the reflector delivers into its buffered result channel.
package cacher
