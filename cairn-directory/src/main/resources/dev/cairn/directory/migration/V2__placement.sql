-- Placement (issue 20): the store each user lives on (null until placed), and the store of a
-- group and of a domain, where their new users go.
ALTER TABLE users ADD COLUMN store ${key};
CREATE INDEX users_by_store ON users(store) WHERE store IS NOT NULL;
CREATE TABLE group_stores (
    group_name ${key} PRIMARY KEY,
    store      ${key} NOT NULL
)${strict};
CREATE TABLE domain_stores (
    domain ${key} PRIMARY KEY,
    store  ${key} NOT NULL
)${strict};
