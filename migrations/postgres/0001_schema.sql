-- Lumières schema, PostgreSQL flavour. Keep table and column names identical to
-- migrations/sqlite/0001_schema.sql: the application sends the same SQL to both.
-- Partial dates are three columns (year, month, day), month and day nullable.

CREATE TABLE countries (
    code    TEXT PRIMARY KEY CHECK (length(code) = 2),
    name_en TEXT NOT NULL,
    name_fr TEXT NOT NULL,
    name_nl TEXT NOT NULL
);

CREATE TABLE rights_categories (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug     TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL,
    name_en  TEXT NOT NULL,
    name_fr  TEXT NOT NULL,
    name_nl  TEXT NOT NULL
);

CREATE TABLE municipalities (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    country_code TEXT NOT NULL REFERENCES countries (code),
    joined_year  INTEGER,
    joined_month INTEGER,
    joined_day   INTEGER
);

CREATE TABLE persons (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    full_name    TEXT NOT NULL,
    country_code TEXT REFERENCES countries (code),
    summary      TEXT,
    is_public    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Other spellings and transliterations, used to match feed entries to persons.
CREATE TABLE person_aliases (
    person_id BIGINT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    alias     TEXT NOT NULL,
    PRIMARY KEY (person_id, alias)
);

CREATE TABLE person_rights (
    person_id          BIGINT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    rights_category_id BIGINT NOT NULL REFERENCES rights_categories (id),
    PRIMARY KEY (person_id, rights_category_id)
);

CREATE TABLE adoptions (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id          BIGINT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    municipality_id    BIGINT NOT NULL REFERENCES municipalities (id),
    adopted_year       INTEGER NOT NULL,
    adopted_month      INTEGER,
    adopted_day        INTEGER,
    decision_reference TEXT,
    note               TEXT,
    UNIQUE (person_id, municipality_id)
);
CREATE INDEX adoptions_municipality ON adoptions (municipality_id);

CREATE TABLE status_events (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id      BIGINT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    -- NULL: a dated fact that does not change the person's status.
    status         TEXT,
    occurred_year  INTEGER NOT NULL,
    occurred_month INTEGER,
    occurred_day   INTEGER,
    title          TEXT NOT NULL,
    -- Sanitized HTML: what is stored is what is rendered.
    body_html      TEXT,
    source_title   TEXT,
    source_url     TEXT,
    provenance     TEXT NOT NULL DEFAULT 'manual',
    is_published   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX status_events_person_date
    ON status_events (person_id, occurred_year, occurred_month, occurred_day);

CREATE TABLE support_actions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id  BIGINT NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    slug       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    body_html  TEXT NOT NULL,
    addressee  TEXT NOT NULL,
    goal       INTEGER NOT NULL CHECK (goal > 0),
    opens_on   DATE NOT NULL,
    closes_on  DATE,
    is_open    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX support_actions_person ON support_actions (person_id);
