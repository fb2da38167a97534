-- One database per service: each owns its data and no service reads another's tables.
-- The postgres image runs this once, as POSTGRES_USER, when its data volume is empty; on an
-- existing volume add a new service's database by hand (CREATE DATABASE <name>;).
-- Keep in step with services.registry.SERVICES and the *_DATABASE_URL variables in
-- docker-compose.yml; tests/unit/test_compose.py checks all three agree.
CREATE DATABASE articles;
CREATE DATABASE comments;
CREATE DATABASE moderation;
CREATE DATABASE notify;
