// Package encryptionconfig reads kube-apiserver's --encryption-provider-config file
// (an EncryptionConfiguration, apiserver.config.k8s.io/v1), validates it as upstream
// does, and builds from it the transformer of every group-resource: the providers of
// the first entry that names the resource (or its group, or everything), the first
// provider writing. With automatic reload the file is polled and a valid new
// configuration replaces the old one; an invalid one is reported and ignored.
package encryptionconfig
