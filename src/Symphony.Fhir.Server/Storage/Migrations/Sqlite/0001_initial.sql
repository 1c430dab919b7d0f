-- Current versions, every version, and the extracted search values (JSON as text, timestamps as UTC ISO text).
CREATE TABLE resource (
    resource_type text NOT NULL,
    id text NOT NULL,
    version_id integer NOT NULL,
    last_updated text NOT NULL,
    is_deleted integer NOT NULL,
    content text,
    PRIMARY KEY (resource_type, id)
);
CREATE INDEX ix_resource_type_last_updated ON resource (resource_type, last_updated, id);

CREATE TABLE resource_history (
    resource_type text NOT NULL,
    id text NOT NULL,
    version_id integer NOT NULL,
    last_updated text NOT NULL,
    is_deleted integer NOT NULL,
    content text,
    PRIMARY KEY (resource_type, id, version_id)
);
CREATE INDEX ix_resource_history_last_updated ON resource_history (last_updated);
CREATE INDEX ix_resource_history_type_last_updated ON resource_history (resource_type, last_updated);

-- Reference rows: system = target type, value = id. Token rows: system, value = code. Date rows: low..high.
CREATE TABLE search_index (
    resource_type text NOT NULL,
    resource_id text NOT NULL,
    name text NOT NULL,
    system text,
    value text,
    low text,
    high text
);
CREATE INDEX ix_search_index_resource ON search_index (resource_type, resource_id);
CREATE INDEX ix_search_index_value ON search_index (resource_type, name, value, system);
CREATE INDEX ix_search_index_date ON search_index (resource_type, name, low, high);
