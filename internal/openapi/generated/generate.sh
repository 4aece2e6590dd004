#!/usr/bin/env bash
# Regenerates zz_generated.openapi.go: the OpenAPI definitions of every k8s.io/api
# group version, CustomResourceDefinition and APIService, plus the apimachinery
# types they reference. The generator runs at
# the kube-openapi version pinned in go.mod, outside the module graph, so go.mod does
# not need to require k8s.io/gengo.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../../.." && pwd)"
cd "${root}"

oapi_version="$(go list -m -f '{{.Version}}' k8s.io/kube-openapi)"
api_dir="$(go list -m -f '{{.Dir}}' k8s.io/api)"

# Every k8s.io/api package that asks for OpenAPI definitions, in a stable order.
pkgs=()
while IFS= read -r dir; do
  pkgs+=("k8s.io/api/${dir}")
done < <(cd "${api_dir}" && grep -l '^// +k8s:openapi-gen=true' ./*/*/doc.go \
  | xargs -n1 dirname | sed 's|^\./||' | LC_ALL=C sort -u)

# The served groups whose types live outside k8s.io/api.
pkgs+=(
  k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1
  k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1
  k8s.io/kube-aggregator/pkg/apis/apiregistration/v1
)

pkgs+=(
  k8s.io/apimachinery/pkg/apis/meta/v1
  k8s.io/apimachinery/pkg/runtime
  k8s.io/apimachinery/pkg/util/intstr
  k8s.io/apimachinery/pkg/api/resource
  k8s.io/apimachinery/pkg/version
)

report="$(mktemp)"
trap 'rm -f "${report}"' EXIT

# Model name accessors already ship with k8s.io/api and apimachinery, so no
# --output-model-name-file: the generator keys definitions by OpenAPIModelName().
go run "k8s.io/kube-openapi/cmd/openapi-gen@${oapi_version}" \
  --go-header-file /dev/null \
  --output-dir "${here}" \
  --output-pkg github.com/kapi-dev/kapi/internal/openapi/generated \
  --output-file zz_generated.openapi.go \
  --report-filename "${report}" \
  "${pkgs[@]}"
