{{/* Names and labels shared by every template. */}}

{{- define "agentgate.name" -}}
agentgate
{{- end -}}

{{- define "agentgate.webhookName" -}}
{{ .Release.Name }}-webhook
{{- end -}}

{{- define "agentgate.tlsSecret" -}}
{{ .Release.Name }}-webhook-tls
{{- end -}}

{{- define "agentgate.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "agentgate.sidecarImage" -}}
{{ .Values.sidecar.image | default (include "agentgate.image" .) }}
{{- end -}}

{{- define "agentgate.labels" -}}
app.kubernetes.io/name: {{ include "agentgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "agentgate.webhookSelector" -}}
app.kubernetes.io/name: {{ include "agentgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{/* Namespaces the webhook never sees: the configured ones and the release's own. */}}
{{- define "agentgate.excludedNamespaces" -}}
{{- $ns := concat .Values.webhook.excludedNamespaces (list .Release.Namespace) | uniq -}}
{{- toJson $ns -}}
{{- end -}}
