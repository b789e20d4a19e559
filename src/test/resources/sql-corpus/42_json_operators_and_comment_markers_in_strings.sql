-- expect 3: DML, DML, DML
UPDATE profiles SET data = data || '{"theme;": "dark", "note": "-- not a comment /* nor this */"}'::jsonb
 WHERE data ? 'theme' AND data->>'lang' = 'en';
SELECT data #> '{a,b}', data @> '{"x": 1}' FROM profiles WHERE id = 1;
SELECT 10 - -1, 2 */* a comment between operators */ 3;
