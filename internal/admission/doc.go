// Package admission holds kapi's admission chain and upstream's built-in admission
// plugins. Plugins are registered by name (Factories), chosen with
// --enable-admission-plugins / --disable-admission-plugins in upstream's order
// (OrderedPlugins), configured from --admission-control-config-file (Config), and run
// as a Chain: every mutating step in order, then every validating step in order.
package admission
