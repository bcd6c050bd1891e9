//! End-to-end tests: the real app on port 0, driven over HTTP and through the CLI.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test that cannot go on should fail loudly, where it stands"
)]

mod support;

mod architecture;
mod audit;
mod browser;
mod cli;
mod credentials;
mod csrf;
mod demo;
mod directory_import;
mod exchange;
mod hardening;
mod health;
mod integrations;
mod invites;
mod login;
mod mail;
mod onboarding;
mod portal;
mod provider;
mod scheduling;
mod sessions;
mod simulator;
mod tenancy;
