//! calbridge: calendars in, switchboard availability out.

pub mod auth;
pub mod availability;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod outbound;
pub mod providers;
pub mod secrets;
pub mod services;
pub mod simulator;
pub mod startup;
pub mod telemetry;
pub mod web;
