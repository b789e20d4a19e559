-- Argo CD resource actions for phasegate.dev/SchemaMigration: pause, resume, abort, approve.
-- An action patches the object with Argo CD's own Kubernetes credentials, not the user's (docs/gitops.md).
local actions = {}
local spec = obj.spec or {}
local st = obj.status or {}
local phase = st.phase
local annotations = {}
if obj.metadata ~= nil and obj.metadata.annotations ~= nil then
  annotations = obj.metadata.annotations
end
-- A failed migration can still be aborted (the phases before the failure are rolled back), unless that abort ran.
local ended = phase == "Succeeded" or phase == "RolledBack" or phase == "Failed"
local abortEnded = phase == "Succeeded" or phase == "RolledBack"
  or (phase == "Failed" and st.rollback ~= nil and st.rollback.cause == "Aborting")
local abortRequested = spec.abort == true or annotations["phasegate.dev/abort"] == "true" or phase == "RollingBack"
local paused = spec.paused == true

actions["pause"] = {
  ["disabled"] = ended or abortRequested or paused,
  ["iconClass"] = "fa fa-fw fa-pause",
  ["displayName"] = "Pause before the next phase"
}
actions["resume"] = {
  ["disabled"] = not paused,
  ["iconClass"] = "fa fa-fw fa-play",
  ["displayName"] = "Resume"
}
actions["abort"] = {
  ["disabled"] = abortEnded or abortRequested,
  ["iconClass"] = "fa fa-fw fa-ban",
  ["displayName"] = "Abort and roll back"
}
actions["approve"] = {
  ["disabled"] = st.reason ~= "AwaitingApproval",
  ["iconClass"] = "fa fa-fw fa-check",
  ["displayName"] = "Approve the awaited phase (as Argo CD)"
}
return actions
