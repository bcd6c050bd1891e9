//! Thin handlers: extract, call one service, render or redirect.

pub mod api;
pub mod auth;
pub mod connection;
pub mod docs;
pub mod group;
pub mod health;
pub mod integrations;
pub mod invite;
pub mod operator;
pub mod presence;
pub mod rules;
pub mod setup;
pub mod sync;
pub mod team;
pub mod tenant;
pub mod users;
