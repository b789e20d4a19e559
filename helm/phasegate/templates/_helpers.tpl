{{/* Name of the chart, overridable. */}}
{{- define "phasegate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the release name when it already contains the chart name, else release-chart. */}}
{{- define "phasegate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "phasegate.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "phasegate.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Cluster-scoped objects are shared by all releases: prefix them with the release namespace. */}}
{{- define "phasegate.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "phasegate.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "phasegate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "phasegate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "phasegate.labels" -}}
{{ include "phasegate.selectorLabels" . }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: phasegate
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "phasegate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "phasegate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "phasegate.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* A list value as JSON, also accepting a comma-separated string (--set watchNamespaces=a,b is a string). */}}
{{- define "phasegate.list" -}}
{{- $in := . | default list -}}
{{- if kindIs "string" $in -}}
{{- $in = splitList "," $in -}}
{{- end -}}
{{- $out := list -}}
{{- range $in -}}
{{- $item := . | toString | trim -}}
{{- if and $item (not (has $item $out)) -}}
{{- $out = append $out $item -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* The namespaces to watch, as JSON list (namespaced mode only); empty means the release namespace. */}}
{{- define "phasegate.watchNamespaces" -}}
{{- $ns := include "phasegate.list" .Values.watchNamespaces | fromJsonArray -}}
{{- if $ns -}}
{{- toJson $ns -}}
{{- else -}}
{{- toJson (list .Release.Namespace) -}}
{{- end -}}
{{- end -}}

{{/* Checks values that would render a surprising install. */}}
{{- define "phasegate.validate" -}}
{{- if and .Values.watchAnyNamespace (include "phasegate.list" .Values.watchNamespaces | fromJsonArray) -}}
{{- fail "set either watchNamespaces or watchAnyNamespace=true, not both" -}}
{{- end -}}
{{- if and .Values.rbac.secretNamespaces (not .Values.watchAnyNamespace) -}}
{{- fail "rbac.secretNamespaces applies only with watchAnyNamespace=true; in namespaced mode every watched namespace gets secrets/get" -}}
{{- end -}}
{{- if and .Values.rbac.secretNamespaces .Values.rbac.clusterWideSecretAccess -}}
{{- fail "rbac.secretNamespaces has no effect with rbac.clusterWideSecretAccess=true" -}}
{{- end -}}
{{- end -}}

{{/*
RBAC rules, shared by the namespaced Roles and the cluster-wide ClusterRole. docs/install.md explains each verb.
Pass a dict: root (the top context) and secrets (include the secrets/get rule).
*/}}
{{- define "phasegate.rules" -}}
{{- $v := .root.Values -}}
- apiGroups: ["phasegate.dev"]
  resources: ["schemamigrations"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["phasegate.dev"]
  resources: ["schemamigrations/status"]
  verbs: ["update"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  {{- if $v.rbac.deploymentPatch }}
  verbs: ["get", "list", "watch", "patch"]
  {{- else }}
  verbs: ["get", "list", "watch"]
  {{- end }}
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
{{- if .secrets }}
{{ include "phasegate.secretRule" .root }}
{{- end }}
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}

{{- define "phasegate.secretRule" -}}
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
  {{- with (include "phasegate.list" .Values.rbac.secretNames | fromJsonArray) }}
  resourceNames: {{ toJson . }}
  {{- end }}
{{- end -}}
