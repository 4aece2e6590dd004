// Package authn authenticates requests: x509 client certificates, static token files
// and anonymous access, combined as a union where the first success wins and a
// presented but invalid credential fails the request.
package authn
