-- Sets spec.paused: the migration stops at its next safe point (before a phase, statement or batch starts).
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.paused = true
return obj
