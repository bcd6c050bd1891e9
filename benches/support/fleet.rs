//! A fleet of calbridge processes for the chaos test and the scale benchmark: a throwaway
//! PostgreSQL database, the Microsoft 365 simulator in its own process, seeded tenants, and
//! `calbridge serve` instances that can be started, killed and measured.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use calbridge::clock::Clock;
use calbridge::config::{Config, DatabaseTarget};
use calbridge::db::entities::directory_user;
use calbridge::secrets::MasterKey;
use calbridge::services::credentials::GraphInput;
use calbridge::services::tenants::TenantInput;
use calbridge::services::{self, Actor, AppState};
use calbridge::startup::build_state;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// The calbridge binary this target was built with.
pub const CALBRIDGE: &str = env!("CARGO_BIN_EXE_calbridge");

/// One directory tenant of the simulator and the calbridge tenant connected to it.
#[derive(Debug, Clone)]
pub struct Company {
    pub index: usize,
    pub directory: Uuid,
    pub client: Uuid,
    pub tenant: Uuid,
}

impl Company {
    pub fn domain(&self) -> String {
        format!("t{}.fleet.dk", self.index)
    }

    pub fn mailbox(&self, user: usize) -> String {
        format!("u{user}@{}", self.domain())
    }
}

/// A busy meeting in a mailbox.
#[derive(Debug, Clone, Copy)]
pub struct Meeting {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

pub struct Fleet {
    pub dir: tempfile::TempDir,
    admin_url: String,
    db_name: String,
    pub database_url: String,
    pub master_key: String,
    pub simulator_url: String,
    simulator: tokio::process::Child,
    pub state: AppState,
    pub companies: Vec<Company>,
    pub users: usize,
}

/// Whole seconds, as calendars hold them.
pub fn whole(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(0)
}

pub fn now() -> DateTime<Utc> {
    Clock::system().now()
}

impl Fleet {
    /// Creates the database, starts the simulator with `users` mailboxes per company and the
    /// meetings `meetings(company, user)` gives, and seeds the calbridge tenants.
    pub async fn start(
        admin_url: &str,
        companies: usize,
        users: usize,
        detail: &str,
        latency_ms: u64,
        meetings: impl Fn(usize, usize) -> Vec<Meeting>,
    ) -> anyhow::Result<Fleet> {
        let dir = tempfile::tempdir()?;
        let db_name = format!("calbridge_fleet_{}", Uuid::new_v4().simple());
        let admin =
            sea_orm::Database::connect(admin_url).await.context("connecting to PostgreSQL")?;
        admin.execute_unprepared(&format!("CREATE DATABASE \"{db_name}\"")).await?;
        admin.close().await?;
        let mut url = url::Url::parse(admin_url)?;
        url.set_path(&format!("/{db_name}"));
        let database_url = url.to_string();

        let ids: Vec<(Uuid, Uuid)> =
            (0..companies).map(|_| (Uuid::new_v4(), Uuid::new_v4())).collect();
        let scenario = dir.path().join("fleet.toml");
        let mut file = std::io::BufWriter::new(std::fs::File::create(&scenario)?);
        writeln!(file, "[simulator]\nlatency_ms = {latency_ms}\nrequest_budget = 100000000\n")?;
        for (c, (directory, client)) in ids.iter().enumerate() {
            writeln!(
                file,
                "[[tenants]]\nname = \"Fleet {c}\"\ndirectory_id = \"{directory}\"\ndomains = [\"t{c}.fleet.dk\"]\nclient_id = \"{client}\"\nclient_secret = \"fleet~{c}\"\nrole = \"Calendars.Read\"\n"
            )?;
            for u in 0..users {
                writeln!(
                    file,
                    "[[tenants.mailboxes]]\nupn = \"u{u}@t{c}.fleet.dk\"\ntime_zone = \"UTC\""
                )?;
                for m in meetings(c, u) {
                    writeln!(
                        file,
                        "[[tenants.mailboxes.events]]\nsubject = \"Møde\"\nstart = \"{}\"\nend = \"{}\"\nshow_as = \"busy\"",
                        m.start.to_rfc3339(),
                        m.end.to_rfc3339()
                    )?;
                }
            }
        }
        file.flush()?;
        drop(file);
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let simulator = tokio::process::Command::new(CALBRIDGE)
            .args(["simulate-m365", "--bind", &format!("127.0.0.1:{port}"), "--scenario"])
            .arg(&scenario)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting the simulator")?;
        let simulator_url = format!("http://127.0.0.1:{port}");
        let mut up = false;
        for _ in 0..1200 {
            if reqwest::get(format!("{simulator_url}/_simulator/settings")).await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::ensure!(up, "the simulator did not start");

        let master_key = MasterKey::generate().to_base64().expose_secret().to_owned();
        let mut config = Config::from_lookup(|_| None).expect("defaults");
        config.database = DatabaseTarget::Postgres(database_url.clone());
        config.master_key = Some(SecretString::from(master_key.clone()));
        config.ms_login_url = simulator_url.parse()?;
        config.ms_graph_url = simulator_url.parse()?;
        let state = build_state(config, Clock::system()).await?;
        let mut fleet = Fleet {
            dir,
            admin_url: admin_url.to_owned(),
            db_name,
            database_url,
            master_key,
            simulator_url,
            simulator,
            state,
            companies: Vec::new(),
            users,
        };
        fleet.seed(&ids, detail).await?;
        Ok(fleet)
    }

    async fn seed(&mut self, ids: &[(Uuid, Uuid)], detail: &str) -> anyhow::Result<()> {
        let actor = Actor::command_line();
        for (index, (directory, client)) in ids.iter().enumerate() {
            let input = TenantInput {
                name: format!("Fleet {index}"),
                licences: self.users.to_string(),
                ..Default::default()
            };
            let tenant = services::tenants::create(&self.state, &actor, &input).await?;
            let company = Company { index, directory: *directory, client: *client, tenant };
            let at = now();
            let users = (0..self.users).map(|u| directory_user::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant),
                email: Set(company.mailbox(u)),
                email_key: Set(company.mailbox(u)),
                display_name: Set(Some(format!("Bruger {u}"))),
                extension: Set(None),
                department: Set(None),
                sync_enabled: Set(true),
                group_managed: Set(false),
                created_at: Set(at),
                updated_at: Set(at),
            });
            directory_user::Entity::insert_many(users)
                .exec_without_returning(&self.state.db)
                .await?;
            let graph = GraphInput {
                directory_id: directory.to_string(),
                client_id: client.to_string(),
                client_secret: SecretString::from(format!("fleet~{index}")),
                secret_expires: None,
                detail: Some(detail.to_owned()),
            };
            let scope = calbridge::db::TenantScope::for_cli(tenant);
            services::credentials::set_graph(&self.state, &actor, scope, &graph).await?;
            self.companies.push(company);
        }
        Ok(())
    }

    /// Starts `calbridge serve` as instance `name` with the given extra settings.
    pub fn serve(&self, name: &str, settings: &[(&str, String)]) -> anyhow::Result<Instance> {
        let log = self.dir.path().join(format!("{name}.log"));
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        let child = tokio::process::Command::new(CALBRIDGE)
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOSTNAME", name)
            .env("DATABASE_URL", &self.database_url)
            .env("CALBRIDGE_MASTER_KEY", &self.master_key)
            .env("CALBRIDGE_BIND", "127.0.0.1:0")
            .env("CALBRIDGE_MS_LOGIN_URL", &self.simulator_url)
            .env("CALBRIDGE_MS_GRAPH_URL", &self.simulator_url)
            .env("RUST_LOG", "warn,calbridge::jobs=info")
            .envs(settings.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(out)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        Ok(Instance { name: name.to_owned(), child, log })
    }

    pub fn simulator_pid(&self) -> Option<u32> {
        self.simulator.id()
    }

    /// Stops the simulator and drops the database.
    pub async fn finish(mut self) -> anyhow::Result<()> {
        let _ = self.simulator.start_kill();
        self.state.db.clone().close().await?;
        let admin = sea_orm::Database::connect(&self.admin_url).await?;
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.db_name
            ))
            .await?;
        admin.close().await?;
        Ok(())
    }
}

/// A running `calbridge serve`.
pub struct Instance {
    pub name: String,
    pub child: tokio::process::Child,
    pub log: PathBuf,
}

impl Instance {
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// SIGKILL: no chance to give anything back.
    pub async fn kill(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// SIGTERM, then waits for a clean exit.
    pub async fn stop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
    }
}

/// User plus system CPU time of a process.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// CPU time of every PostgreSQL server process on this machine.
pub fn postgres_cpu_time() -> Duration {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(cpu_time)
        .sum()
}

/// A field of `/proc/PID/status` in kB (`VmRSS:`, `VmHWM:`).
pub fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// The p-th percentile (0–100) of `values`, sorted in place.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * (values.len() - 1) as f64).round() as usize;
    values[rank.min(values.len() - 1)]
}

/// Reads the `key=value` of a log line.
pub fn log_field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let start = line.find(&format!("{key}="))? + key.len() + 1;
    line[start..].split_whitespace().next()
}

pub fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
