-- expect 0:
-- This migration intentionally does nothing; it keeps the version numbers contiguous.
/* ; ; ; */
