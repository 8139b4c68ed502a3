//! HTTP handlers. Each file is one route; `server/route_table.rs` holds the table that maps paths to them.

pub mod api;
pub mod assets;
pub mod echo;
pub mod health;
pub mod terminal;
