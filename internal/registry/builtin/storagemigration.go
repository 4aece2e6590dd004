package builtin

import (
	storagemigrationv1 "k8s.io/api/storagemigration/v1"
	storagemigrationv1beta1 "k8s.io/api/storagemigration/v1beta1"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
)

// storagemigration serves storagemigration.k8s.io/v1 StorageVersionMigrations.
// Upstream stores them as v1beta1, which kapi's scheme does not register yet, so
// they are stored as v1 here. Only metadata is validated.
func storagemigration() []*registry.Resource {
	gv := storagemigrationv1.SchemeGroupVersion
	return []*registry.Resource{{
		GroupVersion: gv, Name: "storageversionmigrations", SingularName: "storageversionmigration", Kind: "StorageVersionMigration",
		StorageKind: gv.WithKind("StorageVersionMigration"), KeyPrefix: "storageversionmigrations",
		EncodeAs: storagemigrationv1beta1.SchemeGroupVersion.WithKind("StorageVersionMigration"),
		Status:   true, RequireResourceVersion: true,
		Table: printers.StorageVersionMigration(),
	}}
}
