-- The site lexicon (docs/review.md): one row per version per language, the entries as the site-lexicon TSV.
-- origin is 'decisions' (built from coding_decision) or 'posted' (an admin's POST /$site-lexicon).
-- decisions: the decision rows it was built from; created_at is Unix milliseconds.
CREATE TABLE site_lexicon (
    language text NOT NULL,
    version integer NOT NULL,
    entries text NOT NULL,
    entry_count integer NOT NULL,
    origin text NOT NULL,
    decisions integer NOT NULL,
    created_at bigint NOT NULL,
    created_by text NOT NULL,
    PRIMARY KEY (language, version)
);
-- What the last build took in: the decision count and the newest decided_at. A process that sees coding_decision past it
-- rebuilds; two processes that rebuild at once cannot both move it (the update names the values it read).
CREATE TABLE site_lexicon_build (
    id integer PRIMARY KEY,
    decisions integer NOT NULL,
    decided_through bigint NOT NULL,
    built_at bigint NOT NULL
);
INSERT INTO site_lexicon_build (id, decisions, decided_through, built_at) VALUES (1, 0, 0, 0);
