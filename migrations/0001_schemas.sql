-- The layers: raw (what the loader wrote), staging (typed views), marts (what BI reads),
-- and elt (the tool's own bookkeeping: model state and settings).
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists marts;
create schema if not exists elt;
