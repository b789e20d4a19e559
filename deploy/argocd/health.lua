-- Argo CD health check for phasegate.dev/SchemaMigration.
-- Install: argocd-cm key resource.customizations.health.phasegate.dev_SchemaMigration (docs/gitops.md).
-- Written for argocd-cm's sandbox: base, table and a safe os only (no string, no math), a 1 s budget, and a
-- script error keeps a sync wave waiting without a word. So it only maps fields the operator precomputes
-- (observedGeneration, phase, state, reason, message, waitUntil and the SchemaCompatible condition) and guards
-- every nil.
--
-- Healthy     the schema accepts the new code (SchemaCompatible=True): later waves (the app's Deployment) go on,
--             also through multi-day waits, the backfill and a Cleanup that waits for old pods; and Succeeded.
-- Progressing the operator has not answered the current generation yet, or the expand is still under way.
-- Suspended   before the expand, a person must act: paused, an approval awaited, or a gate or the database is in
--             the way.
-- Degraded    failed, aborting or rolled back; a dry run (Planned); or, before the expand, refused until the spec
--             is fixed in Git.
local hs = {}
local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end
local st = obj.status
if st == nil or st.observedGeneration == nil or (generation ~= nil and st.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. (generation or "?")
  return hs
end

local function conditionStatus(kind)
  if st.conditions ~= nil then
    for _, c in ipairs(st.conditions) do
      if c.type == kind then
        return c.status
      end
    end
  end
  return nil
end

local phase = st.phase or "Pending"
local state = st.state or "Unknown"
local reason = st.reason or "Unknown"
local message = phase .. " " .. state .. " (" .. reason .. "): " .. (st.message or "")
if st.waitUntil ~= nil then
  message = message .. "; next: " .. st.waitUntil
end

if phase == "Failed" or phase == "RollingBack" or phase == "RolledBack" or reason == "Aborting" then
  hs.status = "Degraded"
  hs.message = message
  return hs
end
-- A dry run (spec.dryRun) changed nothing: the new code must not roll out, and what goes on is a Git change
-- (dryRun: false), which a Degraded resource lets sync.
if phase == "Planned" then
  hs.status = "Degraded"
  hs.message = message
  return hs
end
if phase == "Succeeded" or conditionStatus("SchemaCompatible") == "True" then
  hs.status = "Healthy"
  hs.message = message
  return hs
end
-- Before the expand: refused until the spec changes. Degraded ends the sync, so the fix can sync from Git.
local refused = {InvalidSpec = true, SpecChangedAfterStart = true, Unsupported = true, SqlError = true, LintFailed = true,
  RollbackHeld = true}
if refused[reason] then
  hs.status = "Degraded"
  hs.message = message
  return hs
end
if state == "Paused" or state == "Blocked" or state == "AwaitingApproval" then
  hs.status = "Suspended"
  hs.message = message
  return hs
end
hs.status = "Progressing"
hs.message = message
return hs
