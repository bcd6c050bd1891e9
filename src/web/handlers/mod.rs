//! Thin handlers: extract, call one service, render or redirect.

pub mod auth;
pub mod health;
pub mod invite;
pub mod operator;
pub mod team;
pub mod tenant;
pub mod users;
