-- Run once by the postgres:15 image on an empty volume (deploy/compose.yaml).
-- The role erk/erk is created by the image from POSTGRES_USER/POSTGRES_PASSWORD.
CREATE DATABASE erk_intake OWNER erk;
CREATE DATABASE erk_appraisal OWNER erk;
