//! The command line: everything an operator automates.

mod api_tokens;
mod commands;
mod context;
mod output;

use clap::{Args, Parser, Subcommand};

pub use commands::run;

#[derive(Debug, Parser)]
#[command(name = "calbridge", version, about = "Calendars in, switchboard availability out.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the portal and the scheduler (migrations are applied first).
    Serve,
    /// Run portal, scheduler and the Microsoft 365 simulator with a seeded demo tenant, on a
    /// fresh database in a temporary folder.
    Demo {
        /// Where the portal listens; the simulator takes a free port of its own.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
    },
    /// Sync one tenant now and print a JSON summary.
    Sync {
        /// The tenant's id.
        #[arg(long)]
        tenant: String,
        /// Run one sync and exit (the only mode; the scheduler in `serve` syncs continuously).
        #[arg(long, required = true)]
        once: bool,
    },
    /// The current availability of every directory user of a tenant.
    Presence {
        /// The tenant's id.
        #[arg(long)]
        tenant: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage operator accounts.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage a tenant's directory users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the master key that encrypts stored secrets.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage a tenant's API tokens (read-only access to its presence for phone systems).
    #[command(subcommand, name = "api-token")]
    ApiToken(ApiTokenCommand),
    /// Run the Microsoft 365 simulator alone (token endpoint, Graph calendar endpoints, and EWS
    /// over HTTPS for on-premises organisations; prints the EWS URL and the CA file).
    #[command(name = "simulate-m365")]
    SimulateM365 {
        #[arg(long, default_value = "127.0.0.1:9365")]
        bind: String,
        /// Scenario file (TOML): directory tenants, mailboxes, events, faults.
        #[arg(long)]
        scenario: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Create an operator. The password is read from stdin when it is not a terminal,
    /// otherwise prompted for.
    Create {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Re-encrypt every stored secret under the current master key. With the embedded
    /// database's key file, a new key is generated first; with CALBRIDGE_MASTER_KEY, set the
    /// new key there and the old one in CALBRIDGE_MASTER_KEY_PREVIOUS before running this.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and print its id.
    Create(TenantCreateArgs),
    /// Store the tenant's Microsoft 365 connection; the client secret is read from stdin.
    SetGraph(SetGraphArgs),
    /// Store an Exchange on-premises (EWS) connection (replaces any Microsoft 365 one).
    SetEws(SetEwsArgs),
    /// Check the stored connection (Microsoft 365 or Exchange): sign in, then read one
    /// mailbox's schedule.
    TestConnection {
        /// The tenant's id.
        #[arg(long)]
        tenant: String,
        /// The mailbox to read (default: the first user with sync on).
        #[arg(long)]
        mailbox: Option<String>,
    },
    /// Choose the Microsoft Entra group whose members get calendar sync (needs the optional
    /// Graph permission GroupMember.Read.All), or none. Read at the next sync, then hourly.
    SetGroup {
        /// The tenant's id.
        #[arg(long)]
        tenant: String,
        /// The group's object ID.
        #[arg(long, required_unless_present = "none", conflicts_with = "none")]
        group: Option<String>,
        /// No group: users keep their sync, and the group no longer changes it.
        #[arg(long)]
        none: bool,
    },
    /// List every tenant.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct TenantCreateArgs {
    #[arg(long)]
    pub name: String,
    /// How many users may have calendar sync enabled.
    #[arg(long, allow_hyphen_values = true)]
    pub licences: String,
    #[arg(long, value_parser = ["da", "en"], default_value = "da")]
    pub locale: String,
    #[arg(long, default_value = "Europe/Copenhagen")]
    pub timezone: String,
    /// Danish CVR number (8 digits).
    #[arg(long)]
    pub cvr: Option<String>,
    #[arg(long)]
    pub contact_name: Option<String>,
    #[arg(long)]
    pub contact_email: Option<String>,
    #[arg(long)]
    pub contact_phone: Option<String>,
}

#[derive(Debug, Args)]
pub struct SetGraphArgs {
    /// The tenant's id.
    #[arg(long)]
    pub tenant: String,
    /// Directory (tenant) ID from Microsoft Entra: a GUID or a verified domain.
    #[arg(long)]
    pub directory_id: String,
    /// Application (client) ID of the app registration.
    #[arg(long)]
    pub client_id: String,
    /// Read the client secret's value from stdin (never from the command line, where other
    /// users of the machine could see it).
    #[arg(long, required = true)]
    pub client_secret_stdin: bool,
    /// When the secret expires (YYYY-MM-DD), so the portal can warn in time.
    #[arg(long)]
    pub secret_expires: Option<String>,
    /// free-busy (Calendars.ReadBasic) or full (Calendars.Read: subject and location too).
    #[arg(long, default_value = "free-busy")]
    pub detail: String,
}

#[derive(Debug, Args)]
pub struct SetEwsArgs {
    /// The tenant's id.
    #[arg(long)]
    pub tenant: String,
    /// The EWS address, e.g. https://mail.example.dk/EWS/Exchange.asmx.
    #[arg(long)]
    pub url: String,
    /// The service ("Monitor") account: DOMAIN\user or user@domain.
    #[arg(long)]
    pub username: String,
    /// Read the service account's password from stdin (never from the command line).
    #[arg(long, required = true)]
    pub password_stdin: bool,
    /// auto (what the server offers, NTLM first), basic or ntlm.
    #[arg(long, default_value = "auto")]
    pub auth: String,
    /// A PEM file with the CA certificate of an internal certificate authority, trusted for
    /// this tenant's server only.
    #[arg(long)]
    pub ca_file: Option<std::path::PathBuf>,
    /// free-busy (times only) or full (subject and location; needs Reviewer).
    #[arg(long, default_value = "free-busy")]
    pub detail: String,
}

#[derive(Debug, Subcommand)]
pub enum ApiTokenCommand {
    /// Create a token and print it; it is shown this once and stored only as a hash.
    Create {
        /// The tenant's id.
        #[arg(long)]
        tenant: String,
        /// What the token is for, e.g. "Reception switchboard".
        #[arg(long)]
        name: String,
    },
    /// List a tenant's tokens (never their values).
    List {
        /// The tenant's id.
        #[arg(long)]
        tenant: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it is refused from the next request on.
    Revoke {
        /// The tenant's id.
        #[arg(long)]
        tenant: String,
        /// The token's id (see: calbridge api-token list).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person whose calendar is to be read.
    Add(UserAddArgs),
    /// Import users from a CSV file: adds new ones, updates changed ones, switches sync as
    /// the file says (within the licences). Rows with errors are listed and skipped.
    Import(UserImportArgs),
    /// Print the directory as CSV (UTF-8 with BOM, `;`), which imports back unchanged.
    Export {
        /// The tenant's id.
        #[arg(long)]
        tenant: String,
        /// Language of the column names and yes/no values.
        #[arg(long, value_parser = ["da", "en"], default_value = "da")]
        locale: String,
    },
    /// List a tenant's directory users.
    List {
        /// The tenant's id.
        #[arg(long)]
        tenant: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct UserImportArgs {
    /// The tenant's id.
    #[arg(long)]
    pub tenant: String,
    /// The CSV file (`;`, `,` or tab; UTF-8, UTF-16 with BOM or Windows-1252).
    pub file: std::path::PathBuf,
    /// Show what would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also remove users who are not in the file.
    #[arg(long)]
    pub remove_missing: bool,
    /// With too few licences, import anyway and leave sync off for the rows past the limit.
    #[arg(long)]
    pub enable_what_fits: bool,
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The tenant's id.
    #[arg(long)]
    pub tenant: String,
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub extension: Option<String>,
    #[arg(long)]
    pub department: Option<String>,
    /// Turn calendar sync on (uses a licence).
    #[arg(long)]
    pub sync: bool,
}

/// Logs go to stderr, so command output on stdout stays machine-readable.
/// `RUST_LOG` overrides the default level; `quiet` (the demo) shows only warnings, so its
/// banner stands out.
pub fn init_logging(quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if quiet {
        "warn"
    } else {
        "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tokio_cron_scheduler=warn,actix_server=warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
