//! The `.griz` storage engine. See `docs/griz-format.md`.
