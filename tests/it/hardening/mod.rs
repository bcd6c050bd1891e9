//! What a security review of the running service found, each kept fixed by a test.

mod addresses;
mod enumeration;
mod files;
mod parsers;
mod redirect;
mod text;
