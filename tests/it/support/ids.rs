//! The ids of the customers in `tests/fixtures/contoso-scenario.toml`, one set for every test.

/// Contoso: app registered, consent granted (`Calendars.Read`).
pub const TENANT: &str = "0c1d2e3f-4a5b-4c6d-8e7f-101112131415";
pub const CLIENT: &str = "a8fdfbd0-da97-42d9-8f1a-fd6a7cb650b4";
pub const SECRET: &str = "Zq8~contoso-Secret-Value-7f3a";
pub const DOMAIN: &str = "contoso.dk";
/// Adele Vance's object id in Contoso's directory.
pub const ADELE_ID: &str = "6f1b9c3e-2d4a-4b5c-9d8e-7f6a5b4c3d2e";

/// Fabrikam: app registered, admin consent never granted.
pub const UNCONSENTED_TENANT: &str = "9f9e9d9c-9b9a-4998-8979-695949392919";
pub const UNCONSENTED_CLIENT: &str = "5b5b5b5b-1c1c-4d1d-8e1e-2f2f2f2f2f2f";
pub const UNCONSENTED_SECRET: &str = "fabrikam-Secret-Value-91b2";

/// Expired Ltd: the client secret expired in 2020.
pub const EXPIRED_TENANT: &str = "e0e0e0e0-1111-4222-8333-444455556666";
pub const EXPIRED_CLIENT: &str = "e1e1e1e1-1111-4222-8333-444455556666";
pub const EXPIRED_SECRET: &str = "expired-Secret-Value-0c4d";

pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// What an admin types into the connection form.
pub struct Credentials<'a> {
    pub directory: &'a str,
    pub client: &'a str,
    pub secret: &'a str,
}

pub const CONTOSO: Credentials<'static> =
    Credentials { directory: TENANT, client: CLIENT, secret: SECRET };
pub const FABRIKAM: Credentials<'static> = Credentials {
    directory: UNCONSENTED_TENANT,
    client: UNCONSENTED_CLIENT,
    secret: UNCONSENTED_SECRET,
};
