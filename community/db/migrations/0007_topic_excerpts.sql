-- Topic listings show a plain-text excerpt, made once at write time rather than per row per read.
ALTER TABLE topics ADD COLUMN excerpt text NOT NULL DEFAULT '';
