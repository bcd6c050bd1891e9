use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::Context;
use secrecy::SecretString;
use serde_json::json;

use super::context::{Failure, close_databases, config, opened, state, tenant_scope};
use super::output::{printable, table};
use super::{
    Cli, Command, KeysCommand, OperatorCommand, SetEwsArgs, SetGraphArgs, TenantCommand,
    UserAddArgs, UserCommand, UserImportArgs,
};
use crate::config::Config;
use crate::domain::FailureReason;
use crate::domain::provider::PermissionFit;
use crate::domain::{Email, Locale};
use crate::i18n::messages;
use crate::jobs::{Scheduler, SchedulerOptions};
use crate::services::connection_test::{Item, Outcome, Report};
use crate::services::credentials::GraphInput;
use crate::services::directory::UserInput;
use crate::services::tenants::TenantInput;
use crate::services::{self, Actor};
use crate::startup::Application;

pub async fn run(cli: Cli) -> ExitCode {
    let result = dispatch(cli).await;
    close_databases().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {}", printable(&message));
            ExitCode::from(2)
        }
        Err(Failure::Failed(e)) => {
            eprintln!("error: {}", printable(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Serve => serve().await,
        Command::Migrate => {
            crate::startup::migrate(&config()?).await?;
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
            let id = services::tenants::create(&state, &Actor::command_line(), &input).await?;
            println!("{id}");
            Ok(())
        }
        Command::Tenant(TenantCommand::List { json }) => {
            let state = state().await?;
            let all = services::tenants::list(&state).await?;
            if json {
                let list: Vec<_> = all
                    .iter()
                    .map(|s| {
                        json!({
                            "id": s.id,
                            "name": s.name,
                            "state": s.state,
                            "licences": s.licences,
                            "users": s.users,
                            "sync_enabled_users": s.enabled_users,
                            "locale": s.locale,
                            "timezone": s.timezone,
                            "created_at": s.created_at,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list).context("writing JSON")?);
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|s| {
                        vec![
                            s.id.to_string(),
                            s.name.clone(),
                            s.state.to_string(),
                            s.licences.to_string(),
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
        Command::User(UserCommand::Import(args)) => import_users(args).await,
        Command::User(UserCommand::Export { tenant, locale }) => {
            let state = state().await?;
            let scope = tenant_scope(&state, &tenant).await?;
            let locale = Locale::parse(&locale).unwrap_or(Locale::Da);
            let bytes = services::directory_import::export(&state, scope, locale).await?;
            std::io::Write::write_all(&mut std::io::stdout(), &bytes).context("writing CSV")?;
            Ok(())
        }
        Command::Demo { bind } => {
            let demo = crate::demo::start(bind).await?;
            println!("{}", crate::demo::banner(&demo));
            Ok(demo.serve_until_stopped().await?)
        }
        Command::Sync { tenant, once: _ } => sync_once(&tenant).await,
        Command::Presence { tenant, json } => presence(&tenant, json).await,
        Command::Tenant(TenantCommand::TestConnection { tenant, mailbox }) => {
            test_connection(&tenant, mailbox.as_deref()).await
        }
        Command::Tenant(TenantCommand::SetGraph(args)) => set_graph(args).await,
        Command::Tenant(TenantCommand::SetGroup { tenant, group, none: _ }) => {
            let state = state().await?;
            let scope = tenant_scope(&state, &tenant).await?;
            let input = group.unwrap_or_default();
            let actor = Actor::command_line();
            match services::group_sync::set(&state, &actor, scope, &input).await? {
                Some(group) => println!("group {group} set; it is read at the next sync"),
                None => println!("no group; users keep their sync"),
            }
            Ok(())
        }
        Command::Tenant(TenantCommand::SetEws(args)) => set_ews(args).await,
        Command::Keys(KeysCommand::Rotate) => rotate_keys().await,
        Command::ApiToken(command) => super::api_tokens::run(command).await,
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
    let config = config()?;
    if let Some(why) = config.refuse_to_serve() {
        return Err(Failure::Usage(why));
    }
    if config.public_url.is_none() {
        tracing::warn!(
            "CALBRIDGE_PUBLIC_URL is not set: invitation links and the same-origin check use \
             the Host header of each request. Set it to the portal's public address in \
             production (CALBRIDGE_ENV=production requires it)."
        );
    }
    let state = opened(config).await?;
    let bind = state.config.bind;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let scheduler =
        Scheduler::start(state.clone(), SchedulerOptions::from_config(&state.config)).await?;
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
    let report = match services::sync::run_once(&state, scope, &instance).await {
        Err(services::Error::Busy) => {
            return Err(Failure::Failed(anyhow::anyhow!(
                "this tenant is being synced by another instance right now; try again shortly"
            )));
        }
        other => other?,
    };
    println!("{}", serde_json::to_string_pretty(&report).context("writing JSON")?);
    if let Some(error) = &report.error {
        return Err(Failure::Failed(anyhow::anyhow!("the sync failed: {}", error.message)));
    }
    Ok(())
}

async fn presence(tenant: &str, json: bool) -> Result<(), Failure> {
    let state = state().await?;
    let scope = tenant_scope(&state, tenant).await?;
    if json {
        let filter = services::presence::Filter::default();
        let document = services::presence::document(&state, scope, &filter).await?;
        println!("{}", serde_json::to_string_pretty(&document).context("writing JSON")?);
        return Ok(());
    }
    let presence = services::presence::list(&state, scope).await?;
    let tz = presence.timezone;
    let local =
        |t: &chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%H:%M").to_string();
    let private = messages(Locale::En).avail_private;
    let rows: Vec<Vec<String>> = presence
        .entries
        .iter()
        .map(|e| {
            let appointment = e.appointment.as_ref().map_or(String::new(), |a| a.describe(private));
            vec![
                e.name.clone().unwrap_or_default(),
                e.email.clone(),
                e.extension.clone().unwrap_or_default(),
                e.state.to_string(),
                e.until.as_ref().map(local).unwrap_or_default(),
                appointment,
                e.sync_error.as_ref().map(|s| s.code.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    println!(
        "{}",
        table(&["NAME", "EMAIL", "EXT", "STATE", "UNTIL", "APPOINTMENT", "ERROR"], &rows)
    );
    Ok(())
}

/// What a checklist item is, in the words the command line uses.
fn item_words(item: Item, report: &Report) -> String {
    match item {
        Item::Directory | Item::App | Item::Secret => "signing in to Microsoft Entra".into(),
        Item::Permission => "the calendar permission".into(),
        Item::Mailbox | Item::FreeBusy => match &report.mailbox {
            Some(mailbox) => format!("reading the calendar of {mailbox}"),
            None => "reading a calendar".into(),
        },
        Item::Server => "reaching the Exchange server".into(),
        Item::Authentication => "signing in to Exchange".into(),
        Item::Reviewer => match &report.mailbox {
            Some(mailbox) => format!("the Reviewer right on the calendar of {mailbox}"),
            None => "the Reviewer right".into(),
        },
    }
}

async fn test_connection(tenant: &str, mailbox: Option<&str>) -> Result<(), Failure> {
    let state = state().await?;
    let scope = tenant_scope(&state, tenant).await?;
    let mailbox = match mailbox {
        Some(raw) => Email::parse(raw)
            .map_err(|_| Failure::Usage(format!("--mailbox: '{raw}' is not an e-mail address")))?,
        None => {
            services::connection::first_synced_mailbox(&state, scope).await?.ok_or_else(|| {
                Failure::Usage("--mailbox: no user has sync on; name a mailbox to read".into())
            })?
        }
    };
    let actor = Actor::command_line();
    let report = services::connection::check_stored(&state, &actor, scope, Some(mailbox)).await?;
    if let Some((item, reason, detail)) = report.failure() {
        let explanation = messages(Locale::En).explain(reason);
        let step = match reason {
            FailureReason::NotConfigured | FailureReason::SecretUnreadable => {
                "connection settings".to_owned()
            }
            _ => item_words(item, &report),
        };
        println!("{step}: failed");
        println!("  problem: {}", explanation.problem);
        println!("  fix:     {}", explanation.fix);
        println!("  detail:  {}", printable(detail));
        return Err(Failure::Failed(anyhow::anyhow!("the connection test failed at: {step}")));
    }
    if let Some(method) = &report.method {
        println!("reached the Exchange server: ok");
        println!("signed in to Exchange: ok ({method})");
        if let Some(read) = &report.read {
            println!(
                "read the free/busy of {}: ok ({} appointments in the next 24 hours)",
                read.mailbox, read.items
            );
        }
        if report.outcome(Item::Reviewer) == &Outcome::Passed {
            println!("Reviewer on the calendar: ok");
        }
        return Ok(());
    }
    println!("signed in to Microsoft Entra: ok");
    let granted =
        report.permissions.as_ref().map_or("not stated by the token".to_owned(), |p| p.join(", "));
    let fit = match report.outcome(Item::Permission) {
        Outcome::Warned(PermissionFit::MoreThanNeeded) => "more than the detail level needs",
        Outcome::Warned(PermissionFit::NotEnough) => "less than the detail level needs",
        _ => "ok",
    };
    println!("calendar permission: {granted} ({fit})");
    if let Some(read) = &report.read {
        println!(
            "read the calendar of {}: ok ({} appointments in the next 24 hours)",
            read.mailbox, read.items
        );
    }
    Ok(())
}

/// The operator CLI acts with full rights, so any existing tenant id is a valid scope.
async fn add_user(args: UserAddArgs) -> Result<(), Failure> {
    let state = state().await?;
    let scope = tenant_scope(&state, &args.tenant).await?;
    let input = UserInput {
        email: args.email,
        display_name: args.name,
        extension: args.extension,
        department: args.department,
    };
    let user =
        services::directory::add(&state, &Actor::command_line(), scope, &input, args.sync).await?;
    println!("{}", user.id);
    Ok(())
}

/// The file is checked and planned like the portal's upload; without `--dry-run` it is
/// applied at once (the plan is made again inside the applying transaction).
async fn import_users(args: UserImportArgs) -> Result<(), Failure> {
    use services::directory_import::{self as import, Choice};
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::Usage(format!("{}: {e}", args.file.display())))?;
    let state = state().await?;
    let scope = tenant_scope(&state, &args.tenant).await?;
    let name = args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let preview = import::preview_file(&state, scope, &name, &bytes, args.remove_missing).await?;
    let en = messages(Locale::En);
    for p in &preview.problems {
        let reason = match p.problem {
            import::parse::RowProblem::Field(column, invalid) => {
                format!("{column:?}: {}", invalid.message(en))
            }
            import::parse::RowProblem::Duplicate(line) => format!("already on line {line}"),
            import::parse::RowProblem::SyncValue => en.import_problem_sync_value.to_owned(),
        };
        println!("line {}: {}: {reason} (skipped)", p.line, printable(&p.email));
    }
    if !preview.unknown_columns.is_empty() {
        println!("ignored columns: {}", printable(&preview.unknown_columns.join(", ")));
    }
    println!(
        "new {}, changed {}, unchanged {}, with errors {}, removed {}; sync on {}, sync off {}; \
         sync after import {} of {} licences",
        preview.new,
        preview.updated,
        preview.unchanged,
        preview.problem_count,
        preview.removal_count,
        preview.sync_on,
        preview.sync_off,
        preview.enabled_after,
        preview.licences
    );
    if preview.shortfall > 0 {
        println!(
            "{} rows ask for sync but only {} licences are free",
            preview.wanting, preview.granted
        );
        if !args.enable_what_fits && !args.dry_run {
            return Err(Failure::Usage(
                "not enough licences; rerun with --enable-what-fits to import the rest with sync off"
                    .into(),
            ));
        }
    }
    if args.dry_run {
        println!("dry run: nothing was changed");
        return Ok(());
    }
    let choice = Choice {
        remove_missing: args.remove_missing,
        enable_what_fits: args.enable_what_fits,
        digest: None,
    };
    let done = import::apply_file(&state, &Actor::command_line(), scope, &bytes, &choice).await?;
    println!(
        "imported: new {}, changed {}, removed {}, sync on {}, sync off {}",
        done.new, done.updated, done.removed, done.sync_on, done.sync_off
    );
    Ok(())
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
    let summary =
        services::credentials::set_graph(&state, &Actor::command_line(), scope, &input).await?;
    let expires = summary.secret_expires_on.map_or("unknown".to_owned(), |d| d.to_string());
    println!(
        "Microsoft 365 connection saved: directory {}, app {}, detail {}, secret expires {}",
        summary.directory_id, summary.client_id, summary.detail, expires
    );
    Ok(())
}

async fn set_ews(args: SetEwsArgs) -> Result<(), Failure> {
    let password = read_line_from_stdin("password")?;
    let ca_pem = match &args.ca_file {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
            Failure::Usage(format!("--ca-file: cannot read {}: {e}", path.display()))
        })?),
        None => None,
    };
    let state = state().await?;
    let scope = tenant_scope(&state, &args.tenant).await?;
    let typed = services::ews_connection::EwsTyped {
        url: args.url,
        username: args.username,
        auth: args.auth,
        detail: args.detail,
        ca_pem: ca_pem.unwrap_or_default(),
        test_mailbox: String::new(),
    };
    let summary =
        services::ews_connection::set_ews(&state, &Actor::command_line(), scope, &typed, password)
            .await?;
    println!(
        "Exchange on-premises connection saved: {} as {}, authentication {}, detail {}{}",
        summary.url,
        summary.username,
        summary.auth,
        summary.detail,
        if summary.has_ca { ", with its own CA certificate" } else { "" }
    );
    println!("Check it with: calbridge tenant test-connection --tenant {}", args.tenant);
    Ok(())
}

/// Re-encrypts every secret. With key files, a new key is made first and installed only after
/// every secret moved to it; an interruption leaves both keys readable.
async fn rotate_keys() -> Result<(), Failure> {
    let config = Config::from_env().map_err(|e| Failure::Usage(e.to_string()))?;
    let mut state = opened(config.clone()).await?;
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
    let report = services::credentials::rotate(&state, &Actor::command_line()).await?;
    if key_files {
        crate::secrets::MasterKey::promote_next_file(&crate::startup::key_file_dir(&config)?)?;
    }
    println!(
        "{} secrets re-encrypted under key {} ({} were already under it)",
        report.reencrypted, report.key_id, report.already_current
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
    let email = services::accounts::create_operator(&state, email, &password).await?;
    println!("operator {email} created");
    Ok(())
}
