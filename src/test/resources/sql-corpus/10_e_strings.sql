-- expect 3: DML, DML, DML
INSERT INTO messages (body) VALUES (E'it\'s; fine');
INSERT INTO messages (body) VALUES (E'tab\there\\'), (e'line\nbreak; \x41');
INSERT INTO messages (body) VALUES ('plain\'), ('standard strings: backslash is a character');
