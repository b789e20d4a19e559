-- Sets the annotation phasegate.dev/abort="true" (not spec.abort, which Git owns): the operator cancels the
-- running step and rolls back the phases that ran, newest first. Cleanup without rollbackSql is one-way.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["phasegate.dev/abort"] = "true"
return obj
