// Package server assembles kapi: Config → Complete → New → Run. It starts (or connects
// to) etcd, ensures certificates, builds the stores of every built-in resource, chains
// the filters in front of the API, serves HTTPS, bootstraps the default namespaces,
// and shuts everything down in order on a cancelled context.
package server
