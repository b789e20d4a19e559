-- Approves the phase the migration awaits approval for (status.reason AwaitingApproval), for the spec generation
-- Argo CD shows now: sets approval.phasegate.dev/<Phase> to "generation=N,by=<approver>".
-- The approver is ARGO CD's Kubernetes identity, not the person who clicked: the request is Argo CD's, and the
-- four-eyes admission policy refuses an approval that names anyone else. Set APPROVER to the user Argo CD talks to
-- this cluster as (default install, in-cluster: the argocd-server ServiceAccount below; not verified here).
-- docs/approvals.md says what this means for four-eyes.
local APPROVER = "system:serviceaccount:argocd:argocd-server"
local st = obj.status or {}
if st.reason ~= "AwaitingApproval" or st.phase == nil then
  return obj
end
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["approval.phasegate.dev/" .. st.phase] = "generation=" .. obj.metadata.generation
  .. ",by=" .. APPROVER
return obj
