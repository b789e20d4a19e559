-- Clears spec.paused: the migration goes on from where it stopped.
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.paused = false
return obj
