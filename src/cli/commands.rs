use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::Context;
use sea_orm::prelude::Uuid;
use secrecy::SecretString;
use serde_json::json;

use super::output::table;
use super::{
    Cli, Command, KeysCommand, OperatorCommand, SetGraphArgs, TenantCommand, UserAddArgs,
    UserCommand,
};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, TenantScope, tenants};
use crate::jobs::{Scheduler, SchedulerOptions};
use crate::services::accounts::AccountError;
use crate::services::credentials::{CredentialsError, GraphInput};
use crate::services::directory::{DirectoryError, UserInput};
use crate::services::tenants::{TenantError, TenantInput};
use crate::services::{self, Actor, AppState};
use crate::startup::{Application, build_state};

/// A failure worth one line on stderr: bad input (exit 2) or a failed operation (exit 1).
#[derive(Debug)]
enum Failure {
    Usage(String),
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Failed(e)
    }
}

impl From<sea_orm::DbErr> for Failure {
    fn from(e: sea_orm::DbErr) -> Failure {
        Failure::Failed(e.into())
    }
}

pub async fn run(cli: Cli) -> ExitCode {
    match dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn state() -> Result<AppState, Failure> {
    let config = Config::from_env().map_err(|e| Failure::Usage(e.to_string()))?;
    Ok(build_state(config, Clock::system()).await?)
}

async fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Serve => serve().await,
        Command::Migrate => {
            let config = Config::from_env().map_err(|e| Failure::Usage(e.to_string()))?;
            let conn = db::connect(&config.database).await?;
            db::migrate(&conn).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Operator(OperatorCommand::Create { email }) => create_operator(&email).await,
        Command::Tenant(TenantCommand::Create(args)) => {
            let state = state().await?;
            let input = TenantInput {
                name: args.name,
                cvr: args.cvr,
                contact_name: args.contact_name,
                contact_email: args.contact_email,
                contact_phone: args.contact_phone,
                licences: args.licences,
                timezone: Some(args.timezone),
                locale: Some(args.locale),
            };
            match services::tenants::create(&state, &Actor::command_line(), &input).await {
                Ok(tenant) => {
                    println!("{}", tenant.id);
                    Ok(())
                }
                Err(TenantError::Invalid(e)) => Err(Failure::Usage(e.to_string())),
                Err(TenantError::Other(e)) => Err(e.into()),
            }
        }
        Command::Tenant(TenantCommand::List { json }) => {
            let state = state().await?;
            let all = tenants::list_all(&state.db).await?;
            if json {
                let list: Vec<_> = all
                    .iter()
                    .map(|s| {
                        json!({
                            "id": s.tenant.id,
                            "name": s.tenant.name,
                            "state": s.tenant.state,
                            "licences": s.tenant.licences,
                            "users": s.users,
                            "sync_enabled_users": s.enabled_users,
                            "locale": s.tenant.locale,
                            "timezone": s.tenant.timezone,
                            "created_at": s.tenant.created_at,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list).context("writing JSON")?);
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|s| {
                        vec![
                            s.tenant.id.to_string(),
                            s.tenant.name.clone(),
                            s.tenant.state.clone(),
                            s.tenant.licences.to_string(),
                            s.enabled_users.to_string(),
                            s.users.to_string(),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table(&["ID", "NAME", "STATE", "LICENCES", "SYNCED", "USERS"], &rows)
                );
            }
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => add_user(args).await,
        Command::Demo { bind } => {
            let demo = crate::demo::start(bind).await?;
            println!("{}", crate::demo::banner(&demo));
            Ok(demo.run_until_ctrl_c().await?)
        }
        Command::Sync { tenant, once: _ } => sync_once(&tenant).await,
        Command::Presence { tenant, json } => presence(&tenant, json).await,
        Command::Tenant(TenantCommand::TestConnection { tenant, mailbox }) => {
            test_connection(&tenant, mailbox.as_deref()).await
        }
        Command::Tenant(TenantCommand::SetGraph(args)) => set_graph(args).await,
        Command::Keys(KeysCommand::Rotate) => rotate_keys().await,
        Command::SimulateM365 { bind, scenario } => {
            if !scenario.is_file() {
                return Err(Failure::Usage(format!(
                    "--scenario: {} is not a readable file",
                    scenario.display()
                )));
            }
            Ok(crate::simulator::run_standalone(&bind, &scenario).await?)
        }
        Command::User(UserCommand::List { tenant, json }) => {
            let state = state().await?;
            let scope = tenant_scope(&state, &tenant).await?;
            let users = services::directory::list(&state, scope).await?;
            if json {
                let list: Vec<_> = users
                    .iter()
                    .map(|u| {
                        json!({
                            "id": u.id,
                            "email": u.email,
                            "name": u.display_name,
                            "extension": u.extension,
                            "department": u.department,
                            "sync_enabled": u.sync_enabled,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list).context("writing JSON")?);
            } else {
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|u| {
                        vec![
                            u.email.clone(),
                            u.display_name.clone().unwrap_or_default(),
                            u.extension.clone().unwrap_or_default(),
                            u.department.clone().unwrap_or_default(),
                            if u.sync_enabled { "on" } else { "off" }.to_owned(),
                        ]
                    })
                    .collect();
                println!("{}", table(&["EMAIL", "NAME", "EXTENSION", "DEPARTMENT", "SYNC"], &rows));
            }
            Ok(())
        }
    }
}

async fn serve() -> Result<(), Failure> {
    let state = state().await?;
    let bind = state.config.bind;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let scheduler = Scheduler::start(state.clone(), SchedulerOptions::default()).await?;
    let app = Application::start(state, bind, workers)?;
    tracing::info!(address = %app.addr(), instance = scheduler.instance(), "calbridge is running");
    println!("calbridge is listening on http://{}", app.addr());
    // The server stops on SIGINT/SIGTERM; then the scheduler finishes or hands back its work.
    let served = app.run_until_stopped().await;
    scheduler.shutdown().await;
    served.context("serving the portal")?;
    Ok(())
}

async fn sync_once(tenant: &str) -> Result<(), Failure> {
    let state = state().await?;
    let scope = tenant_scope(&state, tenant).await?;
    let instance = format!("cli-{}", crate::jobs::scheduler::default_instance_name());
    let lease = chrono::Duration::minutes(10);
    let now = state.clock.now();
    let claim =
        crate::db::leases::claim_now(&state.db, scope.tenant_id(), &instance, now, now + lease)
            .await?
            .ok_or_else(|| {
                Failure::Failed(anyhow::anyhow!(
                    "this tenant is being synced by another instance right now; try again shortly"
                ))
            })?;
    let report = services::sync::run(services::sync::SyncContext {
        state: &state,
        claim,
        instance: &instance,
        lease,
    })
    .await?;
    println!("{}", serde_json::to_string_pretty(&report).context("writing JSON")?);
    if report.error.is_some() {
        return Err(Failure::Failed(anyhow::anyhow!(
            "the sync failed: {}",
            report.error.as_ref().map_or("", |e| e.message.as_str())
        )));
    }
    Ok(())
}

async fn presence(tenant: &str, json: bool) -> Result<(), Failure> {
    let state = state().await?;
    let scope = tenant_scope(&state, tenant).await?;
    let entries = services::presence::list(&state, scope).await?;
    if json {
        let document = json!({
            "tenant": scope.tenant_id(),
            "generated_at": state.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "users": entries,
        });
        println!("{}", serde_json::to_string_pretty(&document).context("writing JSON")?);
        return Ok(());
    }
    let tz = crate::db::tenants::get(&state.db, scope)
        .await?
        .timezone
        .parse::<chrono_tz::Tz>()
        .unwrap_or(chrono_tz::Europe::Copenhagen);
    let local =
        |t: &chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%H:%M").to_string();
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let private = crate::i18n::messages(crate::domain::Locale::En).avail_private;
            let appointment = e.appointment.as_ref().map_or(String::new(), |a| a.describe(private));
            vec![
                e.name.clone().unwrap_or_default(),
                e.email.clone(),
                e.extension.clone().unwrap_or_default(),
                e.state.as_str().to_owned(),
                e.until.as_ref().map(local).unwrap_or_default(),
                appointment,
                e.sync_error.as_ref().map(|s| s.code.clone()).unwrap_or_default(),
            ]
        })
        .collect();
    println!(
        "{}",
        table(&["NAME", "EMAIL", "EXT", "STATE", "UNTIL", "APPOINTMENT", "ERROR"], &rows)
    );
    Ok(())
}

async fn test_connection(tenant: &str, mailbox: Option<&str>) -> Result<(), Failure> {
    let state = state().await?;
    let scope = tenant_scope(&state, tenant).await?;
    let mailbox =
        match mailbox {
            Some(raw) => Some(crate::domain::Email::parse(raw).map_err(|_| {
                Failure::Usage(format!("--mailbox: '{raw}' is not an e-mail address"))
            })?),
            None => None,
        };
    let check = services::connection_test::run(&state, scope, mailbox).await?;
    let en = crate::i18n::messages(crate::domain::Locale::En);
    match check {
        services::connection_test::Check::Passed { mailbox, items } => {
            println!("signed in to Microsoft Entra: ok");
            println!(
                "read the calendar of {mailbox}: ok ({items} appointments in the next 24 hours)"
            );
            Ok(())
        }
        services::connection_test::Check::NoMailbox => {
            Err(Failure::Usage("--mailbox: no user has sync on; name a mailbox to read".into()))
        }
        services::connection_test::Check::Failed { step, problem } => {
            let explanation = problem.explain(en);
            let detail = problem.detail();
            println!("{step}: failed");
            println!("  problem: {}", explanation.problem);
            println!("  fix:     {}", explanation.fix);
            println!("  detail:  {detail}");
            Err(Failure::Failed(anyhow::anyhow!("the connection test failed at: {step}")))
        }
    }
}

/// The operator CLI acts with full rights, so any existing tenant id is a valid scope.
async fn tenant_scope(state: &AppState, raw: &str) -> Result<TenantScope, Failure> {
    let id = Uuid::parse_str(raw.trim()).map_err(|_| {
        Failure::Usage(format!("--tenant: '{raw}' is not a tenant id (see: calbridge tenant list)"))
    })?;
    tenants::find(&state.db, id)
        .await?
        .map(|t| TenantScope::for_cli(t.id))
        .ok_or_else(|| Failure::Usage(format!("--tenant: no tenant has the id {id}")))
}

async fn add_user(args: UserAddArgs) -> Result<(), Failure> {
    let state = state().await?;
    let scope = tenant_scope(&state, &args.tenant).await?;
    let input = UserInput {
        email: args.email,
        display_name: args.name,
        extension: args.extension,
        department: args.department,
    };
    match services::directory::add(&state, &Actor::command_line(), scope, &input, args.sync).await {
        Ok(user) => {
            println!("{}", user.id);
            Ok(())
        }
        Err(DirectoryError::Invalid(e)) => Err(Failure::Usage(e.to_string())),
        Err(DirectoryError::NotFound) => Err(Failure::Usage("the tenant no longer exists".into())),
        Err(DirectoryError::Other(e)) => Err(e.into()),
    }
}

async fn set_graph(args: SetGraphArgs) -> Result<(), Failure> {
    let secret = read_line_from_stdin("client secret")?;
    let state = state().await?;
    let scope = tenant_scope(&state, &args.tenant).await?;
    let input = GraphInput {
        directory_id: args.directory_id,
        client_id: args.client_id,
        client_secret: secret,
        secret_expires: args.secret_expires,
        detail: Some(args.detail),
    };
    match services::credentials::set_graph(&state, &Actor::command_line(), scope, &input).await {
        Ok(summary) => {
            let expires = summary.secret_expires_on.map_or("unknown".to_owned(), |d| d.to_string());
            println!(
                "Microsoft 365 connection saved: directory {}, app {}, detail {}, secret expires {}",
                summary.directory_id, summary.client_id, summary.detail, expires
            );
            Ok(())
        }
        Err(CredentialsError::Invalid(e)) => Err(Failure::Usage(e.to_string())),
        Err(CredentialsError::Other(e)) => Err(e.into()),
    }
}

/// Re-encrypts every secret. With key files, a new key is made first and installed only after
/// every secret moved to it; an interruption leaves both keys readable.
async fn rotate_keys() -> Result<(), Failure> {
    let config = Config::from_env().map_err(|e| Failure::Usage(e.to_string()))?;
    let mut state = build_state(config.clone(), Clock::system()).await?;
    let key_files = config.master_key.is_none();
    if key_files {
        let dir = crate::startup::key_file_dir(&config)?;
        let next = crate::secrets::MasterKey::next_for_rotation(&dir)?;
        let old = crate::startup::keyring(&config)?;
        let mut previous = vec![
            crate::secrets::MasterKey::from_base64(&old.current().to_base64())
                .map_err(anyhow::Error::msg)?,
        ];
        previous.extend(crate::secrets::MasterKey::load_rotation_leftovers(&dir)?);
        state.keyring = std::sync::Arc::new(crate::secrets::Keyring::new(next, previous));
    }
    let report = services::credentials::rotate(&state).await?;
    if key_files {
        crate::secrets::MasterKey::promote_next_file(&crate::startup::key_file_dir(&config)?)?;
    }
    let key_id = state.keyring.current().key_id();
    services::audit::record(
        &state.db,
        &state,
        &Actor::command_line(),
        None,
        "keys.rotated",
        Some(format!("key {key_id}: {} secrets re-encrypted", report.reencrypted)),
    )
    .await?;
    println!(
        "{} secrets re-encrypted under key {key_id} ({} were already under it)",
        report.reencrypted, report.already_current
    );
    if key_files {
        println!("the old key is kept as master.key.previous; delete it once backups are updated");
    } else {
        println!("remove CALBRIDGE_MASTER_KEY_PREVIOUS from every instance when this is done");
    }
    Ok(())
}

/// One line from stdin, without its line ending.
fn read_line_from_stdin(what: &str) -> Result<SecretString, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("reading the {what} from stdin"))?;
    let value = line.trim_end_matches(['\r', '\n']).to_owned();
    if value.is_empty() {
        return Err(Failure::Usage(format!("no {what} given on stdin")));
    }
    Ok(SecretString::from(value))
}

fn read_password() -> Result<SecretString, Failure> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password("Password (12-128 characters): ")
            .context("reading the password")?;
        let second =
            rpassword::prompt_password("Repeat the password: ").context("reading the password")?;
        if first != second {
            return Err(Failure::Usage("the two passwords do not match".into()));
        }
        return Ok(SecretString::from(first));
    }
    read_line_from_stdin("password")
}

async fn create_operator(email: &str) -> Result<(), Failure> {
    let password = read_password()?;
    let state = state().await?;
    match services::accounts::create_operator(&state, email, &password).await {
        Ok(account) => {
            println!("operator {} created", account.email);
            Ok(())
        }
        Err(AccountError::Invalid(e)) => Err(Failure::Usage(e.to_string())),
        Err(AccountError::NotFound) => Err(Failure::Usage("not found".into())),
        Err(AccountError::Other(e)) => Err(e.into()),
    }
}
