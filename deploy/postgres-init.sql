-- Run once by the postgres:15 image on an empty volume (deploy/compose.yaml).
-- The role erk/erk is created by the image from POSTGRES_USER/POSTGRES_PASSWORD.
CREATE DATABASE erk_intake OWNER erk;
CREATE DATABASE erk_appraisal OWNER erk;
-- The key store of per-person data keys: a database and a role of its own (docs/privacy.md).
CREATE ROLE erk_keys LOGIN PASSWORD 'erk_keys';
CREATE DATABASE erk_keys OWNER erk_keys;
REVOKE ALL ON DATABASE erk_keys FROM PUBLIC;
